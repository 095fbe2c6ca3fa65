// npm run bench:compare: keycard (built, production mode, logs on) against the tutorial
// approach and Express returning a fixed JSON, each in its own process, on one embedded
// MongoDB in its own process, loaded in turn by autocannon from this process, in rounds.
// Everything talks to 127.0.0.1 only and stops by itself.
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { createHashClock } from './hash-clock';
import {
  cpuSeconds,
  freePort,
  freeze,
  mainThreadCpuSeconds,
  startDatabase,
  startServer,
  type Running,
} from './processes';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
// Each server answers this long before its first measured round, so that every round measures
// code the JIT has already compiled, not the compiling.
const WARM_UP_SECONDS = Number(process.env.BENCH_WARM_UP_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
// More rounds than for throughput: a login run's share of its ceiling and its p99 move more.
const LOGIN_ROUNDS = Number(process.env.BENCH_LOGIN_ROUNDS ?? 5);
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

type PacedLoad = Load & {
  /** autocannon's own p99, with its correction for coordinated omission (see below). */
  correctedP99: number;
};

/** The value below which `share` of the sorted values fall (nearest rank). */
function percentile(sorted: number[], share: number): number {
  return sorted[Math.max(0, Math.ceil(share * sorted.length) - 1)] ?? 0;
}

/** As many requests as the server answers, from CONNECTIONS connections. */
async function load(target: Running, token: string, seconds = SECONDS): Promise<Load> {
  const pid = target.child.pid ?? 0;
  const cpuBefore = cpuSeconds(pid);
  const result = await autocannon({
    url: `${target.url}/api/profile`,
    headers: { authorization: `Bearer ${token}` },
    connections: CONNECTIONS,
    duration: seconds,
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

/**
 * FIXED_RATE requests a second (autocannon sends each connection's share for a second back to
 * back, then waits for the next second). The percentiles are those of every response's own
 * time. autocannon 9 corrects its figures for coordinated omission with an expected interval of
 * `Math.ceil(1 / rate)` ms, which is 1 ms at any rate (1000 / rate would be 100 ms here), so
 * it records a 40 ms response together with 39 made-up ones of 39 ms down to 1 ms. Its p99 is
 * kept beside ours. A server that could not keep up would show in the delivered rate.
 */
async function paced(target: Running, token: string): Promise<PacedLoad> {
  const pid = target.child.pid ?? 0;
  const cpuBefore = cpuSeconds(pid);
  const waited: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const options = {
      url: `${target.url}/api/profile`,
      headers: { authorization: `Bearer ${token}` },
      connections: CONNECTIONS,
      duration: SECONDS,
      overallRate: FIXED_RATE,
    };
    autocannon(options, (error: unknown, done) => (error ? reject(error) : resolve(done))).on(
      'response',
      (_client, _statusCode, _bytes, responseTime) => waited.push(responseTime),
    );
  });
  const cpu = cpuSeconds(pid) - cpuBefore;
  waited.sort((a, b) => a - b);
  return {
    rate: result.requests.total / SECONDS,
    p50: percentile(waited, 0.5),
    p99: percentile(waited, 0.99),
    correctedP99: result.latency.p99,
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

/** CPU seconds so far, per process: the numbers behind a login run's share of its ceiling. */
function cpuNow(target: Running, databasePid: number) {
  const pid = target.child.pid ?? 0;
  const own = process.cpuUsage();
  return {
    server: cpuSeconds(pid),
    eventLoop: mainThreadCpuSeconds(pid),
    database: cpuSeconds(databasePid),
    loadGenerator: (own.user + own.system) / 1e6,
  };
}

type Cores = ReturnType<typeof cpuNow>;

const hashClock = createHashClock(PASSWORD, COST);

/**
 * Profile load at a fixed rate while LOGIN_CLIENTS log in continuously. This machine's speed
 * drifts by some 15% from minute to minute, so the hash time that sets the ceiling is taken
 * right before and right after, not once for the whole run, with every core hashing at once as
 * at the ceiling. The cores each process used during the run show where the CPU the hashes did
 * not get went.
 */
async function underLogins(target: Running, token: string, email: string, databasePid: number) {
  const hashBefore = await hashClock.measure();
  const started = Date.now();
  const cpuBefore = cpuNow(target, databasePid);
  const clients = logInContinuously(target, email);
  const result = await paced(target, token);
  const { logins, refused } = await clients.stop();
  const seconds = (Date.now() - started) / 1000;
  const cpuAfter = cpuNow(target, databasePid);
  const cores = Object.fromEntries(
    Object.entries(cpuAfter).map(([name, used]) => [
      name,
      (used - cpuBefore[name as keyof Cores]) / seconds,
    ]),
  ) as Cores;
  const loginsPerSecond = logins / seconds;
  const hashAfter = await hashClock.measure();
  const hashMs = (hashBefore.together + hashAfter.together) / 2;
  const hashAloneMs = (hashBefore.alone + hashAfter.alone) / 2;
  const ceiling = (availableParallelism() * 1000) / hashMs;
  return {
    ...result,
    loginsPerSecond,
    loginsRefused: refused,
    hashMs,
    hashAloneMs,
    ceiling,
    cores,
  };
}

/** One login over `agent`'s kept-alive connections: the status it answered with. */
function logIn(target: Running, agent: Agent, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers = {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    };
    const sent = request(
      `${target.url}/api/auth/login`,
      { method: 'POST', agent, headers },
      (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
        res.once('error', reject);
      },
    );
    sent.once('error', reject);
    sent.end(body);
  });
}

/**
 * LOGIN_CLIENTS clients logging in one login after another, until stopped. http.request, not
 * fetch: this process shares the cores with the target, and fetch costs it more CPU per login.
 * The connections live as long as the run: one kept across a pause could be reused just as
 * the server closes it.
 */
function logInContinuously(target: Running, email: string) {
  let running = true;
  let logins = 0;
  let refused = 0;
  const agent = new Agent({ keepAlive: true, maxSockets: LOGIN_CLIENTS });
  const body = JSON.stringify({ email, password: PASSWORD });
  const loops = Array.from({ length: LOGIN_CLIENTS }, async () => {
    while (running) {
      if ((await logIn(target, agent, body)) === 200) logins += 1;
      else refused += 1;
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops).finally(() => agent.destroy());
      return { logins, refused };
    },
  };
}

type BusyLoad = PacedLoad & {
  loginsPerSecond: number;
  /** Logins answered with anything but 200: none are expected. */
  loginsRefused: number;
  /** ms per hash with every core hashing at once: what sets the ceiling. */
  hashMs: number;
  /** ms per hash with one core hashing alone, for comparison. */
  hashAloneMs: number;
  ceiling: number;
  /** Cores used during the run: the server (its event loop among them), database, this process. */
  cores: Cores;
};

interface LoginRow {
  /** The idle run of median p99. */
  idle: PacedLoad;
  /** The login run of median share of its ceiling. */
  busy: BusyLoad;
  /** The median of the login runs' p99s, and that of the idle runs. */
  p99: { busy: number; idle: number };
  /** Every run, in the order they ran. */
  idleRuns: PacedLoad[];
  busyRuns: BusyLoad[];
  /** Logins of every run answered with anything but 200. */
  refused: number;
}

const shareOf = (busy: BusyLoad) => (100 * busy.loginsPerSecond) / busy.ceiling;

/** The run of median `key` (the upper one of an even count). */
function medianRun<T>(runs: T[], key: (run: T) => number): T {
  const sorted = [...runs].sort((a, b) => key(a) - key(b));
  return sorted[Math.floor(sorted.length / 2)] as T;
}

/**
 * LOGIN_ROUNDS pairs of an idle run and a login run, one after the other. The hash time that sets
 * the ceiling, and this machine's latency, drift between runs; comparing medians of runs made
 * side by side says more than one idle run against one login run.
 */
async function loginRow(
  target: Running,
  token: string,
  email: string,
  databasePid: number,
): Promise<LoginRow> {
  // The login path and the hashing threads get the warm-up the profile path had.
  const warmUp = logInContinuously(target, email);
  await new Promise((resolve) => setTimeout(resolve, WARM_UP_SECONDS * 1000));
  await warmUp.stop();
  const idleRuns: PacedLoad[] = [];
  const busyRuns: BusyLoad[] = [];
  for (let round = 1; round <= Math.max(1, LOGIN_ROUNDS); round += 1) {
    idleRuns.push(await paced(target, token));
    busyRuns.push(await underLogins(target, token, email, databasePid));
    const [idle, busy] = [idleRuns.at(-1) as PacedLoad, busyRuns.at(-1) as BusyLoad];
    console.error(
      `logins ${round}: ${target.name} ${shareOf(busy).toFixed(0)}% of the ceiling, ` +
        `p99 ${busy.p99.toFixed(1)} ms (idle ${idle.p99.toFixed(1)} ms)`,
    );
  }
  const idle = medianRun(idleRuns, (run) => run.p99);
  return {
    idle,
    busy: medianRun(busyRuns, shareOf),
    p99: { busy: medianRun(busyRuns, (run) => run.p99).p99, idle: idle.p99 },
    idleRuns,
    busyRuns,
    refused: busyRuns.reduce((sum, run) => sum + run.loginsRefused, 0),
  };
}

/**
 * Runs a measurement with every other server stopped, so that the latencies it compares are
 * those of the target and its database alone: an idle server still polls its database and runs
 * its timers, and on 2 cores each of those wake-ups can delay a request.
 */
async function alone<T>(
  targets: Record<string, Running>,
  measured: string,
  measure: () => Promise<T>,
): Promise<T> {
  const others = Object.entries(targets).filter(([name]) => name !== measured);
  console.error(`stopping ${others.map(([, target]) => target.name).join(', ')}`);
  for (const [, target] of others) freeze(target, true);
  try {
    return await measure();
  } finally {
    for (const [, target] of others) freeze(target, false);
    console.error(`continued ${others.map(([, target]) => target.name).join(', ')}`);
  }
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

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
    await load(targets[name], tokens[name], WARM_UP_SECONDS);
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

  const loginRows: Record<string, LoginRow> = {};
  for (const name of process.env.BENCH_SKIP_LOGINS ? [] : (['keycard', 'tutorial'] as const)) {
    if (!chosen.includes(name)) continue;
    loginRows[name] = await alone(targets, name, () =>
      loginRow(targets[name], tokens[name], `${name}@example.com`, database.pid),
    );
  }
  for (const target of Object.values(targets)) await target.stop();
  await database.stop();
  await hashClock.close();
  report({ summary, loginRows });
}

function report(results: {
  summary: Record<string, Load & { name: string; rounds: number[] }>;
  loginRows: Record<string, LoginRow>;
}): void {
  const { summary, loginRows } = results;
  // A ratio against a server left out of the run (BENCH_TARGETS) would mean nothing.
  const ratio = (rate: number, reference: number | undefined, format: (r: number) => string) =>
    reference ? format(rate / reference) : '–';
  const { express, tutorial } = summary;
  const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, node ${process.version}`;
  const lines = [
    `${machine}; autocannon ${CONNECTIONS} connections, ${WARM_UP_SECONDS} s warm-up, then ${SECONDS} s x ${ROUNDS} rounds (median); embedded MongoDB in its own process`,
    '',
    '| GET /api/profile | req/s | p50 ms | p99 ms | CPU ms/req (server) | vs tutorial | vs Express |',
    '|---|---|---|---|---|---|---|',
    ...Object.values(summary).map(
      (row) =>
        `| ${row.name} | ${row.rate.toFixed(0)} | ${row.p50} | ${row.p99} | ${row.cpuMsPerRequest.toFixed(3)} | ` +
        `${ratio(row.rate, tutorial?.rate, (r) => `${r.toFixed(2)}x`)} | ` +
        `${ratio(row.rate, express?.rate, (r) => `${(100 * r).toFixed(0)}%`)} |`,
    ),
    '',
    `| ${FIXED_RATE} req/s offered while ${LOGIN_CLIENTS} clients log in (bcrypt cost ${COST}) | delivered req/s (lowest run) | p99 ms | idle p99 ms | p99 / idle | logins/s | of ceiling |`,
    '|---|---|---|---|---|---|---|',
    ...Object.entries(loginRows).map(
      ([name, row]) =>
        `| ${name} | ${Math.min(...row.busyRuns.map((run) => run.rate)).toFixed(1)} | ` +
        `${row.p99.busy.toFixed(1)} | ${row.p99.idle.toFixed(1)} | ${(row.p99.busy / row.p99.idle).toFixed(2)}x | ` +
        `${row.busy.loginsPerSecond.toFixed(2)} | ${shareOf(row.busy).toFixed(0)}% |`,
    ),
    '',
    `Medians of ${LOGIN_ROUNDS} rounds, each an idle run then a login run, with every other server stopped. The p99s are those of every request's own wait; autocannon's, with its coordinated-omission correction, in brackets.`,
    '',
    ...Object.entries(loginRows).flatMap(([name, row]) => {
      const { cores } = row.busy;
      const used = cores.server + cores.database + cores.loadGenerator;
      const ms = (runs: PacedLoad[]) =>
        runs.map((run) => `${run.p99.toFixed(1)} (${run.correctedP99})`).join(', ');
      return [
        `- ${name}: logins ${row.busyRuns.map((run) => shareOf(run).toFixed(0)).join('%, ')}% of their ceilings, ${row.refused} not 200; ceiling during the median run: ${availableParallelism()} cores hashing at once, ${row.busy.hashMs.toFixed(0)} ms per hash (${row.busy.hashAloneMs.toFixed(0)} ms for one alone) = ${row.busy.ceiling.toFixed(2)} logins/s`,
        `  - p99 ms under logins: ${ms(row.busyRuns)}; idle: ${ms(row.idleRuns)}`,
        `  - cores used during the median login run: ${name} ${cores.server.toFixed(2)} (its event loop ${cores.eventLoop.toFixed(2)}, its other threads ${(cores.server - cores.eventLoop).toFixed(2)}), database ${cores.database.toFixed(2)}, load generator ${cores.loadGenerator.toFixed(2)}, unused of ${availableParallelism()} cores ${(availableParallelism() - used).toFixed(2)}`,
      ];
    }),
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
