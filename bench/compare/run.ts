// npm run bench:compare: keycard (built, production mode, logs on) against the tutorial
// approach and Express returning a fixed JSON, each in its own process, on one embedded
// MongoDB in its own process, loaded in turn by autocannon from this process, in rounds.
// Everything talks to 127.0.0.1 only and stops by itself.
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import bcrypt from 'bcryptjs';
import { cpuSeconds, freePort, startDatabase, startServer, type Running } from './processes';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
// Each server answers this long before its first measured round, so that every round measures
// code the JIT has already compiled, not the compiling.
const WARM_UP_SECONDS = Number(process.env.BENCH_WARM_UP_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const COST = Number(process.env.BENCH_BCRYPT_COST ?? 12);
const CONNECTIONS = 10;
const FIXED_RATE = 100;
const LOGIN_CLIENTS = 4;
const SECRET = 'bench-compare-signing-key-0123456789-abcdefghijklmnop';
const PASSWORD = 'benchmark password';

interface Load {
  rate: number;
  p50: number;
  p99: number;
  errors: number;
  cpuMsPerRequest: number;
}

async function load(
  target: Running,
  token: string,
  rate?: number,
  seconds = SECONDS,
): Promise<Load> {
  const pid = target.child.pid ?? 0;
  const cpuBefore = cpuSeconds(pid);
  const result = await autocannon({
    url: `${target.url}/api/profile`,
    headers: { authorization: `Bearer ${token}` },
    connections: CONNECTIONS,
    duration: seconds,
    ...(rate ? { overallRate: rate } : {}),
  });
  const cpu = cpuSeconds(pid) - cpuBefore;
  return {
    rate: result.requests.total / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
    cpuMsPerRequest: (cpu * 1000) / Math.max(1, result.requests.total),
  };
}

async function signUp(target: Running, email: string): Promise<string> {
  const response = await fetch(`${target.url}/api/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Bench', email, password: PASSWORD }),
  });
  const body = (await response.json()) as { token?: string };
  if (!body.token) throw new Error(`${target.name}: register answered ${response.status}`);
  return body.token;
}

/**
 * Profile load at a fixed rate while LOGIN_CLIENTS log in continuously. This machine's speed
 * drifts by some 15% from minute to minute, so the hash time that sets the ceiling is taken
 * right before and right after, not once for the whole run.
 */
async function underLogins(target: Running, token: string, email: string) {
  const hashBefore = hashMilliseconds();
  let running = true;
  let logins = 0;
  let refused = 0;
  const started = Date.now();
  const loops = Array.from({ length: LOGIN_CLIENTS }, async () => {
    while (running) {
      const response = await fetch(`${target.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: PASSWORD }),
      });
      await response.arrayBuffer();
      if (response.status === 200) logins += 1;
      else refused += 1;
    }
  });
  const result = await load(target, token, FIXED_RATE);
  running = false;
  await Promise.all(loops);
  const loginsPerSecond = logins / ((Date.now() - started) / 1000);
  const hashMs = (hashBefore + hashMilliseconds()) / 2;
  const ceiling = (availableParallelism() * 1000) / hashMs;
  return { ...result, loginsPerSecond, loginsRefused: refused, hashMs, ceiling };
}

type BusyLoad = Load & {
  loginsPerSecond: number;
  /** Logins answered with anything but 200: none are expected. */
  loginsRefused: number;
  hashMs: number;
  ceiling: number;
};

interface LoginRow {
  idle: Load;
  /** The login run of median share of its ceiling. */
  busy: BusyLoad;
  /** Every login run's share of its own ceiling, in percent. */
  shares: number[];
  /** Logins of every run answered with anything but 200. */
  refused: number;
}

const shareOf = (busy: BusyLoad) => (100 * busy.loginsPerSecond) / busy.ceiling;

/**
 * The idle profile load, then ROUNDS login runs: the hash time that sets the ceiling drifts
 * between runs, so one run's share says little on its own; the median run is shown.
 */
async function loginRow(target: Running, token: string, email: string): Promise<LoginRow> {
  const idle = await load(target, token, FIXED_RATE);
  const runs: BusyLoad[] = [];
  for (let round = 1; round <= Math.max(1, ROUNDS); round += 1) {
    runs.push(await underLogins(target, token, email));
    console.error(
      `logins ${round}: ${target.name} ${shareOf(runs.at(-1) as BusyLoad).toFixed(0)}%`,
    );
  }
  const sorted = [...runs].sort((a, b) => shareOf(a) - shareOf(b));
  const busy = sorted[Math.floor(sorted.length / 2)] as BusyLoad;
  const refused = runs.reduce((sum, run) => sum + run.loginsRefused, 0);
  return { idle, busy, shares: runs.map((run) => Math.round(shareOf(run))), refused };
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

function hashMilliseconds(): number {
  const hash = bcrypt.hashSync(PASSWORD, COST);
  const started = performance.now();
  for (let i = 0; i < 3; i += 1) bcrypt.compareSync(PASSWORD, hash);
  return (performance.now() - started) / 3;
}

async function startTargets(uri: string) {
  const tsx = ['--conditions=keycard-source', '--import', 'tsx'];
  const base = { JWT_SECRET: SECRET, BCRYPT_COST: String(COST) };
  const keycard = (workers: number) =>
    freePort().then((port) =>
      startServer({
        name: workers > 1 ? `keycard (${workers} workers)` : 'keycard',
        args: ['dist/server.js'],
        env: {
          ...base,
          NODE_ENV: 'production',
          // Production requires an SMTP server; nothing listens here, so mail simply waits.
          SMTP_URL: 'smtp://127.0.0.1:9',
          LOG_LEVEL: 'info',
          MONGO_URI: `${uri}compare_keycard`,
          WEB_CONCURRENCY: String(workers),
          // Every login run comes from 127.0.0.1: the per-IP limit (100 per 15 minutes) would
          // end the later runs with 429s. The per-email failure gates stay as they are.
          LOGIN_MAX_ATTEMPTS_PER_IP: '1000000',
        },
        port,
        probePath: '/health',
      }),
    );
  return {
    express: await startServer({
      name: 'Express fixed JSON',
      args: [...tsx, 'bench/compare/express-fixed.ts'],
      env: {},
      port: await freePort(),
      probePath: '/api/profile',
    }),
    tutorial: await startServer({
      name: 'tutorial approach',
      args: [...tsx, 'bench/compare/tutorial-server.ts'],
      env: { ...base, MONGO_URI: `${uri}compare_tutorial` },
      port: await freePort(),
      probePath: '/api/profile',
    }),
    keycard: await keycard(1),
    keycardCluster: await keycard(2),
  };
}

async function main(): Promise<void> {
  const database = await startDatabase(await freePort());
  const targets = await startTargets(database.uri);
  const tokens = {
    express: 'none',
    tutorial: await signUp(targets.tutorial, 'tutorial@example.com'),
    keycard: await signUp(targets.keycard, 'keycard@example.com'),
    keycardCluster: await signUp(targets.keycardCluster, 'keycard2@example.com'),
  };
  const order = ['express', 'tutorial', 'keycard', 'keycardCluster'] as const;
  // BENCH_TARGETS=keycard,express narrows the rounds (the table then shows only those).
  const chosen = (process.env.BENCH_TARGETS ?? order.join(',')).split(',');
  const rounds: Record<(typeof order)[number], Load[]> = {
    express: [],
    tutorial: [],
    keycard: [],
    keycardCluster: [],
  };
  for (const name of order.filter((candidate) => chosen.includes(candidate))) {
    await load(targets[name], tokens[name], undefined, WARM_UP_SECONDS);
  }
  for (let round = 1; round <= ROUNDS; round += 1) {
    for (const name of order.filter((candidate) => chosen.includes(candidate))) {
      rounds[name].push(await load(targets[name], tokens[name]));
      console.error(
        `round ${round}: ${targets[name].name} ${rounds[name].at(-1)?.rate.toFixed(0)} req/s`,
      );
    }
  }
  const summary = Object.fromEntries(
    order
      .filter((candidate) => chosen.includes(candidate))
      .map((name) => [
        name,
        {
          name: targets[name].name,
          rate: median(rounds[name].map((r) => r.rate)),
          p50: median(rounds[name].map((r) => r.p50)),
          p99: median(rounds[name].map((r) => r.p99)),
          cpuMsPerRequest: median(rounds[name].map((r) => r.cpuMsPerRequest)),
          errors: rounds[name].reduce((sum, r) => sum + r.errors, 0),
          rounds: rounds[name].map((r) => Math.round(r.rate)),
        },
      ]),
  ) as Record<(typeof order)[number], Load & { name: string; rounds: number[] }>;

  const loginRows: Record<string, LoginRow> = process.env.BENCH_SKIP_LOGINS
    ? {}
    : {
        keycard: await loginRow(targets.keycard, tokens.keycard, 'keycard@example.com'),
        tutorial: await loginRow(targets.tutorial, tokens.tutorial, 'tutorial@example.com'),
      };
  for (const target of Object.values(targets)) await target.stop();
  await database.stop();
  report({ summary, loginRows });
}

function report(results: {
  summary: Record<string, Load & { name: string; rounds: number[] }>;
  loginRows: Record<string, LoginRow>;
}): void {
  const { summary, loginRows } = results;
  const express = summary.express?.rate ?? 1;
  const tutorial = summary.tutorial?.rate ?? 1;
  const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, node ${process.version}`;
  const lines = [
    `${machine}; autocannon ${CONNECTIONS} connections, ${WARM_UP_SECONDS} s warm-up, then ${SECONDS} s x ${ROUNDS} rounds (median); embedded MongoDB in its own process`,
    '',
    '| GET /api/profile | req/s | p50 ms | p99 ms | CPU ms/req (server) | vs tutorial | vs Express |',
    '|---|---|---|---|---|---|---|',
    ...Object.values(summary).map(
      (row) =>
        `| ${row.name} | ${row.rate.toFixed(0)} | ${row.p50} | ${row.p99} | ${row.cpuMsPerRequest.toFixed(3)} | ` +
        `${(row.rate / tutorial).toFixed(2)}x | ${((100 * row.rate) / express).toFixed(0)}% |`,
    ),
    '',
    `| ${FIXED_RATE} req/s offered while ${LOGIN_CLIENTS} clients log in (bcrypt cost ${COST}) | delivered req/s | p99 ms | idle p99 ms | logins/s | of ceiling |`,
    '|---|---|---|---|---|---|',
    ...Object.entries(loginRows).map(
      ([name, row]) =>
        `| ${name} | ${row.busy.rate.toFixed(1)} | ${row.busy.p99} | ${row.idle.p99} | ` +
        `${row.busy.loginsPerSecond.toFixed(2)} | ${shareOf(row.busy).toFixed(0)}% |`,
    ),
    '',
    ...Object.entries(loginRows).map(
      ([name, row]) =>
        `- ${name}: median of ${row.shares.length} login runs (${row.shares.join('%, ')}% of their ceilings, ${row.refused} logins not 200); ceiling during the median run: ${availableParallelism()} cores / ${row.busy.hashMs.toFixed(0)} ms per hash = ${row.busy.ceiling.toFixed(2)} logins/s`,
    ),
  ];
  console.log(lines.join('\n'));
  const directory = join(__dirname, '..', 'results');
  mkdirSync(directory, { recursive: true });
  const json = JSON.stringify({ at: new Date().toISOString(), machine, ...results }, null, 2);
  writeFileSync(join(directory, 'compare-latest.json'), `${json}\n`);
  writeFileSync(join(directory, 'compare-latest.md'), `${lines.join('\n')}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
