import mongoose from 'mongoose';
import { killAll, pause, startKeycard, type KeycardProcess } from '../helpers/real-processes';
import { testDatabase } from '../helpers/test-database';
import { recipientOf, startTestSmtp, type TestSmtp } from '../helpers/test-smtp';

const { uri, dbName } = testDatabase('shutdown');
const databaseUri = `${uri.replace(/\/?$/, '/')}${dbName}`;
const PASSWORD = 'shutdown password 1';
// Made once with bcryptjs, so the test does not spend seconds hashing: a comparison at cost 14
// takes about a second, at cost 16 several seconds.
const HASH_COST_14 = '$2b$14$IdyWXlP3yKpvgT5jOcamh.9es7ROE3s8t/ZjwV64Y0Mw8uI/W05wK';
const HASH_COST_16 = '$2b$16$jGNfUW/fzFG3oG04LE6GE.W1N2/SFXGMBooGN84Yc/MzqBpJ3h5B2';

let connection: mongoose.Connection;
let smtp: TestSmtp;

beforeAll(async () => {
  smtp = await startTestSmtp();
  connection = await mongoose.createConnection(databaseUri).asPromise();
  const now = new Date();
  await connection.collection('users').insertMany(
    [
      { name: 'Quick', email: 'quick@example.com', password: HASH_COST_14, role: 'user' },
      { name: 'Slow', email: 'slow@example.com', password: HASH_COST_16, role: 'user' },
    ].map((user) => ({ ...user, createdAt: now, updatedAt: now })),
  );
});
afterAll(async () => {
  await killAll();
  await connection.dropDatabase();
  await connection.close();
  await smtp.stop();
});

/** keycard from source on the shared test database, with a cost-14 hasher unless told. */
function startServer(env: Record<string, string>): Promise<KeycardProcess> {
  return startKeycard({ MONGO_URI: databaseUri, BCRYPT_COST: '14', ...env });
}

function login(url: string, email: string) {
  return fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
}

// Each case starts a real process from source: seconds on a busy machine.
jest.setTimeout(60_000);

describe('a real keycard process receiving SIGTERM', () => {
  it('lets a login whose hash is running finish with 200, refuses new connections, exits 0', async () => {
    const server = await startServer({});
    const inFlight = login(server.url, 'quick@example.com');
    // Long enough for the request to reach the server, well inside the hash's time.
    await pause(300);
    server.child.kill('SIGTERM');
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(response.headers.get('connection')).toBe('close');
    expect((await response.json()) as object).toHaveProperty('token');
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();
    expect(await server.exited).toBe(0);
    expect(server.output()).toContain('"msg":"shut down"');
  });

  it('cuts what is still running after SHUTDOWN_TIMEOUT and still exits 0', async () => {
    const server = await startServer({ SHUTDOWN_TIMEOUT: '1s' });
    const inFlight = login(server.url, 'slow@example.com').then(
      (response) => response.status,
      () => 'cut' as const,
    );
    await pause(200);
    const signalledAt = Date.now();
    server.child.kill('SIGTERM');
    const code = await server.exited;
    const at = Date.now();
    expect(code).toBe(0);
    // The comparison at cost 16 takes several seconds: the process did not wait for it.
    expect(at - signalledAt).toBeLessThan(3000);
    expect(await inFlight).toBe('cut');
    expect(server.output()).toContain('shutdown timeout reached');
  });

  it('exits at once, non-zero, on a second signal', async () => {
    const server = await startServer({ SHUTDOWN_TIMEOUT: '30s' });
    const inFlight = login(server.url, 'slow@example.com').catch(() => undefined);
    await pause(200);
    server.child.kill('SIGTERM');
    await pause(200);
    const secondAt = Date.now();
    server.child.kill('SIGINT');
    const code = await server.exited;
    const at = Date.now();
    expect(code).toBe(1);
    expect(at - secondAt).toBeLessThan(1500);
    await inFlight;
  });
});

/** A mail as a previous run of keycard would have left it waiting (no link: a notice). */
function waitingMail(to: string) {
  const now = new Date();
  return {
    to,
    template: 'password_changed',
    values: { name: 'Left Behind' },
    sealed: null,
    userId: null,
    status: 'pending',
    attempts: 0,
    nextAttemptAt: now,
    leaseUntil: new Date(0),
    leaseOwner: null,
    lastError: null,
    createdAt: now,
    finishedAt: null,
    deleteAt: null,
  };
}

async function waitFor(done: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('a real keycard process and its mail sender', () => {
  it('sends at start what an earlier run left waiting, and on SIGTERM leaves undelivered mail for the next start', async () => {
    const outbox = connection.collection('mail_outbox');
    await outbox.insertOne(waitingMail('left-behind@example.com'));
    const server = await startServer({ SMTP_URL: smtp.url, BCRYPT_COST: '4' });
    try {
      await smtp.waitForMail((mail) => recipientOf(mail) === 'left-behind@example.com');

      await smtp.stop();
      await outbox.insertOne(waitingMail('while-down@example.com'));
      await waitFor(
        async () =>
          (await outbox.countDocuments({ to: 'while-down@example.com', attempts: 1 })) > 0,
        'a failed attempt',
      );
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    } finally {
      server.child.kill('SIGKILL');
      await smtp.start();
    }
    expect(await outbox.findOne({ to: 'while-down@example.com' })).toMatchObject({
      status: 'pending',
    });

    const next = await startServer({ SMTP_URL: smtp.url, BCRYPT_COST: '4' });
    try {
      await smtp.waitForMail((mail) => recipientOf(mail) === 'while-down@example.com');
      next.child.kill('SIGTERM');
      expect(await next.exited).toBe(0);
    } finally {
      next.child.kill('SIGKILL');
    }
    expect(smtp.mails.map(recipientOf).sort()).toEqual([
      'left-behind@example.com',
      'while-down@example.com',
    ]);
  });
});
