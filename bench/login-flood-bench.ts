// What a real user sees while keycard is attacked, against 127.0.0.1 at a real bcrypt cost:
//  1. a flood of 60 concurrent wrong logins from one address, and a real login from another
//     address 50 ms later (the password queue is bounded and shared fairly by address);
//  2. 22 addresses x 5 wrong passwords for one email, then its owner from a new address and
//     from a device that has logged in before (device tokens).
// Distinct client addresses come from binding to 127.0.0.x, all of which are loopback.
import { request } from 'node:http';
import { BENCH_CREDENTIALS, startBenchApp, startBenchDatabase } from './bench-app';

const COST = Number(process.env.BENCH_BCRYPT_COST ?? 12);
const FLOOD = 60;

interface Reply {
  status: number;
  ms: number;
  retryAfter?: string;
  body: Record<string, unknown>;
}

function login(
  url: string,
  email: string,
  password: string,
  options: { from: string; deviceToken?: string },
): Promise<Reply> {
  const started = performance.now();
  const payload = JSON.stringify({ email, password });
  return new Promise((resolve, reject) => {
    const call = request(
      `${url}/api/auth/login`,
      {
        method: 'POST',
        localAddress: options.from,
        agent: false,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          ...(options.deviceToken ? { 'x-device-token': options.deviceToken } : {}),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            ms: performance.now() - started,
            retryAfter: response.headers['retry-after'],
            body: JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<string, unknown>,
          }),
        );
      },
    );
    call.on('error', reject);
    call.end(payload);
  });
}

const countBy = (replies: Reply[]) =>
  replies.reduce<Record<number, number>>((counts, reply) => {
    counts[reply.status] = (counts[reply.status] ?? 0) + 1;
    return counts;
  }, {});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const database = await startBenchDatabase();
  const bench = await startBenchApp({
    database,
    name: 'flood',
    env: { BCRYPT_COST: String(COST) },
  });
  const { url } = bench;
  const { email, password } = BENCH_CREDENTIALS;
  console.log(`bcrypt cost ${COST}, database: ${database.label}`);

  const known = await login(url, email, password, { from: '127.0.0.2' });
  const deviceToken = known.body.deviceToken as string;
  console.log(`idle login: ${known.status} in ${known.ms.toFixed(0)} ms`);

  const flood = Array.from({ length: FLOOD }, (_, index) =>
    login(url, `flood-${index}@example.com`, 'wrong password', { from: '127.0.0.1' }),
  );
  await pause(50);
  const real = await login(url, email, password, { from: '127.0.0.3' });
  const flooded = await Promise.all(flood);
  const refusedAtOnce = flooded.filter((reply) => reply.status === 503);
  console.log(
    `\n1. ${FLOOD} concurrent wrong logins from 127.0.0.1: ${JSON.stringify(countBy(flooded))}`,
  );
  console.log(
    `   each 503 answered within ${Math.max(0, ...refusedAtOnce.map((reply) => reply.ms)).toFixed(0)} ms, ` +
      `Retry-After ${refusedAtOnce[0]?.retryAfter ?? '-'} s`,
  );
  console.log(
    `   real login from 127.0.0.3, 50 ms later: ${real.status} in ${real.ms.toFixed(0)} ms`,
  );

  // Two addresses at a time, each waiting out any 503: the attacker gets every guess checked.
  const attackers = Array.from({ length: 22 }, (_, index) => `127.0.1.${index + 1}`);
  const attack: Reply[] = [];
  for (let pair = 0; pair < attackers.length; pair += 2) {
    await Promise.all(
      attackers.slice(pair, pair + 2).map(async (from) => {
        for (let guess = 0; guess < 5; guess += 1) {
          let reply = await login(url, email, `guess ${guess}`, { from });
          while (reply.status === 503) {
            await pause(Number(reply.retryAfter ?? 1) * 1000);
            reply = await login(url, email, `guess ${guess}`, { from });
          }
          attack.push(reply);
        }
      }),
    );
  }
  console.log(`\n2. 22 addresses x 5 wrong passwords: ${JSON.stringify(countBy(attack))}`);
  const newDevice = await login(url, email, password, { from: '127.0.2.1' });
  console.log(
    `   owner, new address, no device token: ${newDevice.status}` +
      (newDevice.retryAfter ? ` (Retry-After ${newDevice.retryAfter} s)` : ''),
  );
  const knownDevice = await login(url, email, password, { from: '127.0.2.2', deviceToken });
  console.log(
    `   owner, new address, device token from an earlier login: ${knownDevice.status} in ` +
      `${knownDevice.ms.toFixed(0)} ms`,
  );

  await bench.close();
  await database.stop();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
