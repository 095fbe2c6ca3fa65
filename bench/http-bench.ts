// HTTP benchmark against 127.0.0.1: GET /api/profile throughput, and what logins at a real
// bcrypt cost do to it, with hashing in the worker pool and (for comparison) on the main thread.
import { availableParallelism } from 'node:os';
import autocannon from 'autocannon';
import bcrypt from 'bcryptjs';
import type { PasswordHasher } from '../src/core/password-hasher';
import { startSession } from '../src/core/sessions';
import { BENCH_CREDENTIALS, startBenchApp, startBenchDatabase } from './bench-app';

const DURATION_SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const COST = Number(process.env.BENCH_BCRYPT_COST ?? 12);
const CONCURRENT_LOGINS = 4;
const FIXED_RATE = 100;
const MODES = (process.env.BENCH_MODES ?? 'pool,inline').split(',');

interface Outcome {
  rate: number;
  p50: number;
  p99: number;
  errors: number;
}

/** bcryptjs's own async API: what a tutorial does, with all hashing on the event loop. */
function inlineHasher(cost: number): PasswordHasher {
  return {
    cost,
    hash: (password) => bcrypt.hash(password, cost),
    compare: (password, hash) => bcrypt.compare(password, hash),
    costOf: (hash) => bcrypt.getRounds(hash),
    close: async () => undefined,
  };
}

async function load(url: string, token: string, rate?: number): Promise<Outcome> {
  const result = await autocannon({
    url: `${url}/api/profile`,
    headers: { authorization: `Bearer ${token}` },
    connections: 10,
    duration: DURATION_SECONDS,
    ...(rate ? { overallRate: rate } : {}),
  });
  return {
    rate: result.requests.total / DURATION_SECONDS,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
  };
}

async function whileLoggingIn<T>(
  url: string,
  credentials: { email: string; password: string },
  work: () => Promise<T>,
): Promise<{ result: T; logins: number; seconds: number }> {
  let running = true;
  let logins = 0;
  const started = Date.now();
  const loops = Array.from({ length: CONCURRENT_LOGINS }, async () => {
    while (running) {
      const response = await fetch(`${url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(credentials),
      });
      if (response.status !== 200) throw new Error(`login answered ${response.status}`);
      await response.arrayBuffer();
      logins += 1;
    }
  });
  const result = await work();
  running = false;
  const seconds = (Date.now() - started) / 1000;
  await Promise.all(loops);
  return { result, logins, seconds };
}

function hashMilliseconds(): number {
  const hash = bcrypt.hashSync('warm-up', COST);
  const rounds = 3;
  const start = process.hrtime.bigint();
  for (let i = 0; i < rounds; i += 1) bcrypt.compareSync('benchmark password', hash);
  return Number(process.hrtime.bigint() - start) / 1e6 / rounds;
}

const show = (label: string, outcome: Outcome) =>
  console.log(
    `  ${label.padEnd(46)} ${outcome.rate.toFixed(1).padStart(8)} req/s  ` +
      `p50 ${String(outcome.p50).padStart(4)} ms  p99 ${String(outcome.p99).padStart(4)} ms` +
      (outcome.errors ? `  (${outcome.errors} errors)` : ''),
  );

async function main(): Promise<void> {
  const database = await startBenchDatabase();
  const perHash = hashMilliseconds();
  const cores = availableParallelism();
  console.log(
    `node ${process.version}, ${cores} cores, bcrypt cost ${COST} = ${perHash.toFixed(0)} ms per hash, ` +
      `database: ${database.label}, ${DURATION_SECONDS} s per run`,
  );
  console.log(
    `  login ceiling: ${cores} cores / ${perHash.toFixed(0)} ms = ${((cores * 1000) / perHash).toFixed(2)} logins/s`,
  );

  for (const mode of MODES) {
    const bench = await startBenchApp({
      database,
      name: mode,
      env: { BCRYPT_COST: String(COST) },
      ...(mode === 'inline' ? { hasher: inlineHasher(COST) } : {}),
    });
    const { context, url } = bench;
    const user = await context.core.users.findOne({ email: BENCH_CREDENTIALS.email }).orFail();
    const { session } = await startSession(context.core, user, { userAgent: 'bench', ip: '' });
    const { token } = context.core.tokens.signAccessToken({
      id: user.id as string,
      role: user.role,
      sessionId: session._id.toHexString(),
    });

    console.log(
      `\nhashing: ${mode === 'pool' ? `worker pool (${cores} workers)` : 'main thread (bcryptjs async)'}`,
    );
    show('GET /api/profile, max rate', await load(url, token));
    show(`GET /api/profile at ${FIXED_RATE} req/s`, await load(url, token, FIXED_RATE));
    const busy = await whileLoggingIn(url, BENCH_CREDENTIALS, () => load(url, token, FIXED_RATE));
    show(`GET /api/profile at ${FIXED_RATE} req/s + ${CONCURRENT_LOGINS} logins`, busy.result);
    console.log(`  logins meanwhile: ${(busy.logins / busy.seconds).toFixed(2)} logins/s`);
    await bench.close();
  }
  await database.stop();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
