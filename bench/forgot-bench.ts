// POST /api/auth/password/forgot for addresses with and without an account: does the response
// time tell them apart? Requests go one at a time over 127.0.0.1, known and unknown in a random
// order, once with the mail sender stopped (the request alone) and once running (as a server).
import { startBenchApp, startBenchDatabase } from './bench-app';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 100);
const WARM_UP = 20;

function summary(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (share: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))] ?? 0;
  const mean = sorted.reduce((sum, value) => sum + value, 0) / sorted.length;
  return `mean ${mean.toFixed(2)} ms  p50 ${at(0.5).toFixed(2)} ms  p90 ${at(0.9).toFixed(2)} ms`;
}

async function timeForgot(url: string, email: string): Promise<number> {
  const started = process.hrtime.bigint();
  const response = await fetch(`${url}/api/auth/password/forgot`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email }),
  });
  await response.text();
  if (response.status !== 202) throw new Error(`forgot answered ${response.status}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

async function measure(withSender: boolean): Promise<void> {
  const database = await startBenchDatabase();
  const bench = await startBenchApp({
    database,
    name: 'forgot',
    env: {
      BCRYPT_COST: '4',
      PASSWORD_RESET_MAX_PER_HOUR: '1000000',
      MAIL_MAX_PER_IP_PER_HOUR: '1000000',
    },
  });
  if (withSender) bench.context.mailSender.start();
  const total = REQUESTS + WARM_UP;
  for (let index = 0; index < total; index += 1) {
    await bench.context.core.users.create({
      name: `Known ${index}`,
      email: `known${index}@example.com`,
      password: 'bench password',
    });
  }
  // Known and unknown in a random order, so neither always follows the other's mail work.
  const order = Array.from({ length: 2 * total }, (_, index) => index % 2 === 0);
  order.sort(() => Math.random() - 0.5);
  const known: number[] = [];
  const unknown: number[] = [];
  const next = { known: 0, unknown: 0 };
  for (const [position, isKnown] of order.entries()) {
    const kind = isKnown ? 'known' : 'unknown';
    const email = `${kind}${next[kind]++}@example.com`;
    const milliseconds = await timeForgot(bench.url, email);
    if (position < 2 * WARM_UP) continue;
    (isKnown ? known : unknown).push(milliseconds);
  }
  console.log(`  database ${database.label}, mail sender ${withSender ? 'running' : 'stopped'}`);
  console.log(`    known address    (${known.length}) ${summary(known)}`);
  console.log(`    unknown address  (${unknown.length}) ${summary(unknown)}`);
  await bench.close();
  await database.stop();
}

async function main(): Promise<void> {
  console.log(`node ${process.version}, about ${REQUESTS} requests of each kind per run`);
  await measure(false);
  await measure(true);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
