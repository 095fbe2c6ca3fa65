import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { testDatabase } from '../helpers/test-database';
import { recipientOf, startTestSmtp, type TestSmtp } from '../helpers/test-smtp';

const root = join(__dirname, '..', '..');
const tsx = join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const { uri, dbName } = testDatabase('mail_sender_process');
const databaseUri = `${uri.replace(/\/?$/, '/')}${dbName}`;

let connection: mongoose.Connection;
let smtp: TestSmtp;

beforeAll(async () => {
  connection = await mongoose.createConnection(databaseUri).asPromise();
  smtp = await startTestSmtp();
});
afterAll(async () => {
  await connection.dropDatabase();
  await connection.close();
  await smtp.stop();
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

function startServer(): { child: ChildProcess; output: string[]; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [tsx, '--conditions=keycard-source', 'src/server.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      PORT: '0',
      MONGO_URI: databaseUri,
      JWT_SECRET: 'mail-sender-test-signing-key-0123456789-abcdefghijkl',
      BCRYPT_COST: '4',
      LOG_LEVEL: 'info',
      SMTP_URL: smtp.url,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { child, output, exited };
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
    const server = startServer();
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

    const next = startServer();
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
