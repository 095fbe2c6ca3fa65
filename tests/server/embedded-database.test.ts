import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { MongoClient, MongoServerError } from 'mongodb';

// keycard with no MONGO_URI starts the embedded database inside its own process, listening on
// 127.0.0.1, where every local user can reach it. It must demand a login, with credentials only
// keycard knows, and never write them to its logs.

const root = join(__dirname, '..', '..');
const tsx = join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');

interface RunningKeycard {
  child: ChildProcess;
  url: string;
  output: string[];
  exited: Promise<number | null>;
}

async function startKeycardWithoutMongoUri(): Promise<RunningKeycard> {
  const child = spawn(process.execPath, [tsx, '--conditions=keycard-source', 'src/server.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'development',
      PORT: '0',
      EMBEDDED_MONGO: 'wire',
      // NODE_ENV=development would keep the data in the project's .keycard-data/: an account
      // registered by one run would be there for the next (embedded-data.test.ts covers that).
      EMBEDDED_MONGO_DBPATH: 'memory',
      JWT_SECRET: 'embedded-test-signing-key-0123456789-abcdefghijklmnop',
      BCRYPT_COST: '4',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no listen line:\n${output.join('')}`)),
      20_000,
    );
    const read = (chunk: Buffer) => {
      output.push(chunk.toString());
      const port = /listening on http:\/\/localhost:(\d+)/.exec(output.join(''))?.[1];
      if (port) {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${port}`);
      }
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    void exited.then(() => reject(new Error(`keycard exited:\n${output.join('')}`)));
  });
  return { child, url, output, exited };
}

let keycard: RunningKeycard;
let databaseAddress: string;

beforeAll(async () => {
  keycard = await startKeycardWithoutMongoUri();
  const warning = keycard.output
    .join('')
    .split('\n')
    .map((line) => (line.startsWith('{') ? (JSON.parse(line) as Record<string, unknown>) : {}))
    .find((entry) => String(entry.msg).startsWith('MONGO_URI is not set'));
  databaseAddress = String(warning?.address);
});
afterAll(async () => {
  keycard.child.kill('SIGTERM');
  await keycard.exited;
});

describe('keycard on its embedded database', () => {
  it('logs where the database listens, and no connection string at all', () => {
    expect(databaseAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    const logs = keycard.output.join('');
    expect(logs).toContain(`at ${databaseAddress}, with a login for this run only`);
    expect(logs).not.toMatch(/mongodb:\/\//);
    expect(logs).not.toMatch(/@127\.0\.0\.1/);
  });

  it('works for keycard itself, which logs in', async () => {
    const response = await fetch(`${keycard.url}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'Local',
        email: 'local@example.com',
        password: 'a long enough password 1',
      }),
    });
    expect(response.status).toBe(201);
    await expect(fetch(`${keycard.url}/health`).then((r) => r.json())).resolves.toEqual({
      status: 'ok',
    });
  });

  it('refuses another local process without the credentials (Unauthorized, 13)', async () => {
    const intruder = await MongoClient.connect(`mongodb://${databaseAddress}/`);
    try {
      const users = intruder.db('keycard').collection('users');
      for (const attempt of [
        () => users.find({}).toArray(),
        () => users.updateMany({}, { $set: { role: 'admin' } }),
      ]) {
        const error = await attempt().catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(MongoServerError);
        expect((error as MongoServerError).code).toBe(13);
      }
    } finally {
      await intruder.close();
    }
  });
});
