// HTTP benchmark against 127.0.0.1: GET /api/profile throughput, and what logins at a real
// bcrypt cost do to it, with hashing in the worker pool and (for comparison) on the main thread.
import { availableParallelism } from 'node:os';
import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import bcrypt from 'bcryptjs';
import { createApp } from '../src/app';
import type { PasswordHasher } from '../src/auth/password-hasher';
import { startSession } from '../src/auth/sessions';
import { loadConfig } from '../src/config';
import { closeAppContext, createAppContext } from '../src/context';
import { connectDatabase } from '../src/db/connect';
import { startEmbeddedMongo } from '../src/db/embedded-mongo';
import { createLogger } from '../src/logger';

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
  const mongo = process.env.MONGO_URI
    ? undefined
    : await startEmbeddedMongo({ allowDownload: false, log: () => undefined });
  const uri = process.env.MONGO_URI ?? (mongo?.uri as string);
  const perHash = hashMilliseconds();
  const cores = availableParallelism();
  console.log(
    `node ${process.version}, ${cores} cores, bcrypt cost ${COST} = ${perHash.toFixed(0)} ms per hash, ` +
      `database: ${mongo ? mongo.kind : 'MONGO_URI'}, ${DURATION_SECONDS} s per run`,
  );
  console.log(
    `  login ceiling: ${cores} cores / ${perHash.toFixed(0)} ms = ${((cores * 1000) / perHash).toFixed(2)} logins/s`,
  );

  for (const mode of MODES) {
    const connection = await connectDatabase(`${uri.replace(/\/?$/, '/')}keycard_bench_${mode}`);
    await connection.dropDatabase();
    const config = loadConfig({ NODE_ENV: 'test', BCRYPT_COST: String(COST), LOG_LEVEL: 'silent' });
    const context = await createAppContext({
      config,
      connection,
      logger: createLogger({ level: 'silent' }),
      ...(mode === 'inline' ? { hasher: inlineHasher(COST) } : {}),
    });
    const server = createApp(context).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const credentials = { email: 'bench@example.com', password: 'benchmark password' };
    const user = await context.users.create({ name: 'Bench', ...credentials });
    const { session } = await startSession(context, user._id, { userAgent: 'bench', ip: '' });
    const { token } = context.tokens.signAccessToken({
      id: user.id as string,
      role: user.role,
      sessionId: session._id.toHexString(),
    });

    console.log(
      `\nhashing: ${mode === 'pool' ? `worker pool (${cores} workers)` : 'main thread (bcryptjs async)'}`,
    );
    show('GET /api/profile, max rate', await load(url, token));
    show(`GET /api/profile at ${FIXED_RATE} req/s`, await load(url, token, FIXED_RATE));
    const busy = await whileLoggingIn(url, credentials, () => load(url, token, FIXED_RATE));
    show(`GET /api/profile at ${FIXED_RATE} req/s + ${CONCURRENT_LOGINS} logins`, busy.result);
    console.log(`  logins meanwhile: ${(busy.logins / busy.seconds).toFixed(2)} logins/s`);

    server.close();
    server.closeAllConnections();
    await closeAppContext(context);
    await connection.dropDatabase();
    await connection.close();
  }
  await mongo?.stop();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
