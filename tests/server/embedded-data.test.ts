import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// A real keycard process with no MONGO_URI: the embedded wire server keeps its data in
// EMBEDDED_MONGO_DBPATH, so an account made before a restart can log in after it.
jest.setTimeout(60_000);

const root = join(__dirname, '..', '..');
const tsx = join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const PASSWORD = 'embedded data password';

interface RunningServer {
  child: ChildProcess;
  url: string;
  output: () => string;
}

function spawnKeycard(dbPath: string): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [tsx, '--conditions=keycard-source', 'src/server.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      PORT: '0',
      EMBEDDED_MONGO: 'wire',
      EMBEDDED_MONGO_DBPATH: dbPath,
      JWT_SECRET: 'embedded-data-test-signing-key-0123456789-abcdefghijk',
      BCRYPT_COST: '4',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  return { child, output: () => chunks.join('') };
}

async function startKeycard(dbPath: string): Promise<RunningServer> {
  const { child, output } = spawnKeycard(dbPath);
  const url = await new Promise<string>((resolve, reject) => {
    const check = () => {
      const port = /listening on http:\/\/localhost:(\d+)/.exec(output())?.[1];
      if (port) resolve(`http://127.0.0.1:${port}`);
    };
    child.stdout?.on('data', check);
    child.once('exit', () => reject(new Error(`keycard exited:\n${output()}`)));
  });
  return { child, url, output };
}

async function stop(server: RunningServer): Promise<number | null> {
  if (server.child.exitCode !== null) return server.child.exitCode;
  const exited = once(server.child, 'exit');
  server.child.kill('SIGTERM');
  const [code] = (await exited) as [number | null];
  return code;
}

function post(url: string, path: string, body: object): Promise<Response> {
  return fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('keycard on the embedded database with EMBEDDED_MONGO_DBPATH', () => {
  let dbPath: string;
  const running: RunningServer[] = [];

  beforeEach(() => {
    dbPath = mkdtempSync(join(tmpdir(), 'keycard-embedded-data-'));
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map(stop));
    rmSync(dbPath, { recursive: true, force: true });
  });

  it('keeps an account across a restart, and says where the data lives', async () => {
    const first = await startKeycard(dbPath);
    running.push(first);
    expect(first.output()).toContain(`with its data in ${dbPath} (EMBEDDED_MONGO_DBPATH)`);
    expect(first.output()).not.toContain('All data is lost on exit');
    const registered = await post(first.url, '/api/auth/register', {
      name: 'Kept',
      email: 'kept@example.com',
      password: PASSWORD,
    });
    expect(registered.status).toBe(201);
    expect(await stop(first)).toBe(0);

    const second = await startKeycard(dbPath);
    running.push(second);
    const login = await post(second.url, '/api/auth/login', {
      email: 'kept@example.com',
      password: PASSWORD,
    });
    expect(login.status).toBe(200);
    const again = await post(second.url, '/api/auth/register', {
      name: 'Kept',
      email: 'kept@example.com',
      password: PASSWORD,
    });
    // The unique email index came back with the data.
    expect(again.status).toBe(409);
  });

  it('refuses to start a second keycard on the same directory, saying why, and exits 1', async () => {
    const first = await startKeycard(dbPath);
    running.push(first);
    const second = spawnKeycard(dbPath);
    const [code] = (await once(second.child, 'exit')) as [number | null];
    expect(code).toBe(1);
    expect(second.output()).toContain(
      `the embedded MongoDB did not start: the data directory ${dbPath} is in use by process`,
    );
    expect(second.output()).not.toMatch(/\n\s+at /);
    // The first one still serves.
    expect((await fetch(`${first.url}/health`)).status).toBe(200);
  });
});
