// Login latency with and without the MongoDB-backed limiter, against 127.0.0.1. The "without"
// run swaps the limiter and throttle for no-ops in this process only, to isolate their cost.
import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import { RateLimiterRes } from 'rate-limiter-flexible';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config';
import { closeAppContext, createAppContext, type AppContext } from '../src/context';
import { connectDatabase } from '../src/db/connect';
import { startEmbeddedMongo } from '../src/db/embedded-mongo';
import { createLogger } from '../src/logger';

const DURATION_SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const COST = Number(process.env.BENCH_BCRYPT_COST ?? 12);
const CONNECTIONS = 2;

function disableLimits(context: AppContext): void {
  context.loginThrottle.beginAttempt = async (_res, email) => ({
    email,
    pairKey: '',
    failureNumber: 1,
  });
  context.loginThrottle.recordSuccess = async () => undefined;
  context.loginThrottle.recordFailure = async () => false;
  const { store, points } = context.limiters.loginPerIp;
  store.consume = async () => new RateLimiterRes(points - 1, 900_000, 1, false);
}

async function main(): Promise<void> {
  const mongo = process.env.MONGO_URI
    ? undefined
    : await startEmbeddedMongo({ allowDownload: false, log: () => undefined });
  const uri = process.env.MONGO_URI ?? (mongo?.uri as string);
  console.log(
    `node ${process.version}, bcrypt cost ${COST}, database: ${mongo ? mongo.kind : 'MONGO_URI'}, ` +
      `${CONNECTIONS} connections, ${DURATION_SECONDS} s per run`,
  );
  for (const limited of [true, false]) {
    const connection = await connectDatabase(`${uri.replace(/\/?$/, '/')}keycard_login_bench`);
    await connection.dropDatabase();
    const config = loadConfig({
      NODE_ENV: 'test',
      BCRYPT_COST: String(COST),
      LOG_LEVEL: 'silent',
      LOGIN_MAX_ATTEMPTS_PER_IP: '1000000',
    });
    const context = await createAppContext({
      config,
      connection,
      logger: createLogger({ level: 'silent' }),
    });
    if (!limited) disableLimits(context);
    const server = createApp(context).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const credentials = { email: 'bench@example.com', password: 'benchmark password' };
    await context.users.create({ name: 'Bench', ...credentials });
    const result = await autocannon({
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/auth/login`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(credentials),
      connections: CONNECTIONS,
      duration: DURATION_SECONDS,
    });
    console.log(
      `  POST /api/auth/login ${limited ? 'with limiter   ' : 'without limiter'}  ` +
        `${(result.requests.total / DURATION_SECONDS).toFixed(1).padStart(7)} logins/s  ` +
        `p50 ${result.latency.p50} ms  p99 ${result.latency.p99} ms  ` +
        `non-2xx ${result.non2xx}`,
    );
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
