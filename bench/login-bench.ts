// Login latency with and without the MongoDB-backed limiter, against 127.0.0.1. The "without"
// run swaps the limiter and throttle for no-ops in this process only, to isolate their cost.
import autocannon from 'autocannon';
import { RateLimiterRes } from 'rate-limiter-flexible';
import type { AppContext } from '../src/context';
import { BENCH_CREDENTIALS, startBenchApp, startBenchDatabase } from './bench-app';

const DURATION_SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const COST = Number(process.env.BENCH_BCRYPT_COST ?? 12);
const CONNECTIONS = 2;

function disableLimits(context: AppContext): void {
  context.core.loginThrottle.beginAttempt = async () => ({
    allowed: true,
    attempt: { gates: [] },
  });
  context.core.loginThrottle.finishAttempt = async () => false;
  const { store, setting } = context.limiters.loginPerIp;
  store.consume = async () => new RateLimiterRes(setting.max - 1, 900_000, 1, false);
}

async function main(): Promise<void> {
  const database = await startBenchDatabase();
  console.log(
    `node ${process.version}, bcrypt cost ${COST}, database: ${database.label}, ` +
      `${CONNECTIONS} connections, ${DURATION_SECONDS} s per run`,
  );
  for (const limited of [true, false]) {
    const bench = await startBenchApp({
      database,
      name: 'login',
      env: { BCRYPT_COST: String(COST), LOGIN_MAX_ATTEMPTS_PER_IP: '1000000' },
      ...(limited ? {} : { adjust: disableLimits }),
    });
    const result = await autocannon({
      url: `${bench.url}/api/auth/login`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(BENCH_CREDENTIALS),
      connections: CONNECTIONS,
      duration: DURATION_SECONDS,
    });
    console.log(
      `  POST /api/auth/login ${limited ? 'with limiter   ' : 'without limiter'}  ` +
        `${(result.requests.total / DURATION_SECONDS).toFixed(1).padStart(7)} logins/s  ` +
        `p50 ${result.latency.p50} ms  p99 ${result.latency.p99} ms  ` +
        `non-2xx ${result.non2xx}`,
    );
    await bench.close();
  }
  await database.stop();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
