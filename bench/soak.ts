// npm run soak [-- --seconds 60 --rate 40]: a bounded run of mixed traffic at a fixed rate
// through nginx to two keycard instances on the embedded database (each its own process),
// then a report against the goals; exits 1 when a goal is missed (CI runs it for 20 s).
//
// Event-loop delay is what each instance reports of itself (monitorEventLoopDelay, a log line
// every 2 s); the p99 latency of GET / sent straight to each instance every 100 ms is shown
// beside it, an upper bound that also counts the round trip and the wait for a CPU.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import mongoose from 'mongoose';
import { findNginx, startNginx } from '../tests/helpers/nginx';
import {
  freePort,
  killAll,
  pause,
  startDatabaseProcess,
  startKeycard,
  type KeycardProcess,
} from '../tests/helpers/real-processes';

const GOALS = { fiveHundreds: 0, memoryGrowth: 0.2, eventLoopP99Ms: 50 };

/** The p99 of every "event loop delay" line an instance logged after `since`. */
function eventLoopReports(output: string, since: number): number[] {
  return output.split('\n').flatMap((line) => {
    if (!line.includes('"event loop delay"')) return [];
    const parsed = JSON.parse(line) as { time: number; eventLoopDelay: { p99Ms: number } };
    return parsed.time >= since ? [parsed.eventLoopDelay.p99Ms] : [];
  });
}

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '60' }, rate: { type: 'string', default: '40' } },
});
const seconds = Number(values.seconds);
const rate = Number(values.rate);

function rssKiB(pid: number): number {
  const match = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

const statuses = new Map<string, number>();
const registered: string[] = [];

async function send(
  base: string,
  method: string,
  path: string,
  options: { body?: object; token?: string } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = {};
  if (options.body) headers['content-type'] = 'application/json';
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let status = 0;
  let body: Record<string, unknown> = {};
  try {
    const response = await fetch(`${base}${path}`, {
      method,
      headers,
      body: options.body ? JSON.stringify(options.body) : undefined,
      signal: AbortSignal.timeout(10_000),
    });
    status = response.status;
    const text = await response.text();
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    // No answer (a reset, a 10 s timeout): counted as status 0, a failure like a 5xx.
  }
  const key = `${method} ${path.split('?')[0]} ${status}`;
  statuses.set(key, (statuses.get(key) ?? 0) + 1);
  return { status, body };
}

/** One user's life, one request per step: the scheduler calls step() at the fixed rate. */
function createActor(base: string, id: number): () => Promise<void> {
  let round = 0;
  let index = 0;
  let email = '';
  let token = '';
  let refreshToken = '';
  const password = `soak password ${id}`;
  const steps: (() => Promise<unknown>)[] = [
    async () => {
      email = `soak-${id}-${round}@example.com`;
      const answer = await send(base, 'POST', '/api/auth/register', {
        body: { name: 'Soak', email, password },
      });
      if (answer.status === 201) registered.push(email);
    },
    async () => {
      const answer = await send(base, 'POST', '/api/auth/login', { body: { email, password } });
      token = String(answer.body.token ?? '');
      refreshToken = String(answer.body.refreshToken ?? '');
    },
    async () => {
      const answer = await send(base, 'POST', '/api/auth/refresh', { body: { refreshToken } });
      if (answer.status === 200) token = String(answer.body.token);
    },
    () => send(base, 'GET', '/api/profile', { token }),
    () => send(base, 'GET', '/api/auth/sessions', { token }),
    () => send(base, 'POST', '/api/auth/login', { body: { email, password: 'wrong password' } }),
    () => send(base, 'POST', '/api/auth/logout', { token }),
  ];
  let busy = false;
  return async () => {
    if (busy) return;
    busy = true;
    try {
      await (steps[index] as () => Promise<unknown>)();
    } finally {
      index = (index + 1) % steps.length;
      if (index === 0) round += 1;
      busy = false;
    }
  };
}

async function probeHealth(instances: KeycardProcess[], until: number): Promise<number[]> {
  const latencies: number[] = [];
  while (Date.now() < until) {
    for (const instance of instances) {
      const started = performance.now();
      await fetch(`${instance.url}/`).catch(() => undefined);
      latencies.push(performance.now() - started);
    }
    await pause(100);
  }
  return latencies.sort((a, b) => a - b);
}

async function main(): Promise<number> {
  if (!findNginx().found) throw new Error(`no nginx at ${findNginx().path} (set NGINX_PATH)`);
  const dbPath = mkdtempSync(join(tmpdir(), 'keycard-soak-'));
  try {
    const databasePort = await freePort();
    const database = await startDatabaseProcess({ port: databasePort, dbPath });
    const env = {
      MONGO_URI: `mongodb://127.0.0.1:${databasePort}/soak`,
      LOG_LEVEL: 'info',
      TRUST_PROXY: '1',
      LOGIN_MAX_FAILURES: '1000',
      LOGIN_MAX_FAILURES_PER_DAY: '100000',
      LOGIN_MAX_ATTEMPTS_PER_IP: '1000000',
      REGISTER_MAX_PER_HOUR: '1000000',
      REFRESH_MAX_PER_MINUTE: '1000000',
      // Each instance reports its own event-loop delay (monitorEventLoopDelay) every 2 s.
      EVENT_LOOP_REPORT_INTERVAL: '2s',
    };
    const instances = await Promise.all([startKeycard(env), startKeycard(env)]);
    const proxy = await startNginx({
      port: await freePort(),
      upstreams: instances.map((instance) => instance.port),
    });
    const actors = Array.from({ length: Math.max(4, rate) }, (_, id) => createActor(proxy.url, id));
    const started = Date.now();
    const end = started + seconds * 1000;
    const warmUpAt = started + Math.min(5000, (seconds * 1000) / 4);
    let memoryAfterWarmUp: number[] = [];
    const health = probeHealth(instances, end);
    const inFlight = new Set<Promise<void>>();
    for (let tick = 0; Date.now() < end; tick += 1) {
      const next = started + (tick * 1000) / rate;
      if (next > Date.now()) await pause(next - Date.now());
      if (memoryAfterWarmUp.length === 0 && Date.now() >= warmUpAt) {
        memoryAfterWarmUp = instances.map((instance) => rssKiB(instance.pid));
      }
      const request = (actors[tick % actors.length] as () => Promise<void>)();
      inFlight.add(request);
      void request.finally(() => inFlight.delete(request));
    }
    await Promise.all(inFlight);
    const memoryAtEnd = instances.map((instance) => rssKiB(instance.pid));
    const healthP99 = percentile(await health, 0.99);
    const eventLoopP99 = Math.max(
      0,
      ...instances.flatMap((instance) => eventLoopReports(instance.output(), warmUpAt)),
    );

    const connection = await mongoose.createConnection(env.MONGO_URI).asPromise();
    const found = await connection
      .collection('users')
      .countDocuments({ email: { $in: registered } });
    await connection.close();
    await proxy.close();
    await Promise.all(instances.map((instance) => instance.stop()));
    await database.stop();
    return report({ memoryAfterWarmUp, memoryAtEnd, healthP99, eventLoopP99, found });
  } finally {
    await killAll();
    rmSync(dbPath, { recursive: true, force: true });
  }
}

function report(figures: {
  memoryAfterWarmUp: number[];
  memoryAtEnd: number[];
  healthP99: number;
  eventLoopP99: number;
  found: number;
}): number {
  const total = [...statuses.values()].reduce((sum, count) => sum + count, 0);
  const fiveHundreds = [...statuses]
    .filter(([key]) => /\s(5\d\d|0)$/.test(key))
    .reduce((sum, [, count]) => sum + count, 0);
  console.log(`\nSoak: ${seconds} s at ${rate} requests/s through nginx, two instances`);
  console.log(`requests: ${total}`);
  for (const [key, count] of [...statuses].sort()) console.log(`  ${key}: ${count}`);
  const growth = figures.memoryAtEnd.map(
    (end, index) => end / (figures.memoryAfterWarmUp[index] ?? end) - 1,
  );
  const checks: [string, boolean][] = [
    [`5xx (and no answer): ${fiveHundreds} (goal ${GOALS.fiveHundreds})`, fiveHundreds === 0],
    [
      `registrations acknowledged ${registered.length}, found afterwards ${figures.found} (goal equal)`,
      registered.length === figures.found,
    ],
    ...growth.map((value, index): [string, boolean] => [
      `instance ${index + 1} RSS after warm-up ${figures.memoryAfterWarmUp[index]} KiB, at the end ` +
        `${figures.memoryAtEnd[index]} KiB: ${(value * 100).toFixed(1)}% (goal under 20%)`,
      value < GOALS.memoryGrowth,
    ]),
    [
      `event-loop delay p99, worst 2 s report of either instance after warm-up: ` +
        `${figures.eventLoopP99.toFixed(1)} ms (goal under ${GOALS.eventLoopP99Ms} ms)`,
      figures.eventLoopP99 < GOALS.eventLoopP99Ms,
    ],
  ];
  console.log(
    `     (seen from outside: GET / p99 ${figures.healthP99.toFixed(1)} ms, which also counts the ` +
      'round trip and, on a busy machine, the wait for a CPU)',
  );
  for (const [line, ok] of checks) console.log(`${ok ? 'ok  ' : 'MISS'} ${line}`);
  const missed = checks.filter(([, ok]) => !ok).length;
  console.log(missed === 0 ? 'soak: every goal met' : `soak: ${missed} goal(s) missed`);
  return missed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('soak failed:', error);
    void killAll().finally(() => process.exit(1));
  },
);
