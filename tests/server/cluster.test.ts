import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { testDatabase } from '../helpers/test-database';

const root = join(__dirname, '..', '..');
const { uri, dbName } = testDatabase('cluster');
const databaseUri = `${uri.replace(/\/?$/, '/')}${dbName}`;

afterAll(async () => {
  const connection = await mongoose.createConnection(databaseUri).asPromise();
  await connection.dropDatabase();
  await connection.close();
});

function childrenOf(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).flatMap((task) =>
    readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8')
      .split(' ')
      .filter(Boolean)
      .map(Number),
  );
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(read: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await pause(50);
  }
}

describe('WEB_CONCURRENCY=2', () => {
  it('serves from two workers with one signing key, replaces a dead worker, drains on SIGTERM', async () => {
    // No JWT_SECRET: the primary generates one and every worker must use it.
    const child = spawn(
      process.execPath,
      ['--conditions=keycard-source', '--import', 'tsx', 'src/server.ts'],
      {
        cwd: root,
        env: {
          PATH: process.env.PATH,
          NODE_ENV: 'test',
          PORT: '0',
          MONGO_URI: databaseUri,
          BCRYPT_COST: '4',
          WEB_CONCURRENCY: '2',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const output: string[] = [];
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const ports = await until(() => {
        const found = [...output.join('').matchAll(/listening on http:\/\/localhost:(\d+)/g)];
        return found.length >= 2 ? found.map((match) => match[1]) : undefined;
      }, 30_000);
      expect(new Set(ports).size).toBe(1);
      const url = `http://127.0.0.1:${ports[0] as string}`;
      const primary = child.pid as number;
      expect(childrenOf(primary)).toHaveLength(2);

      const registered = await fetch(`${url}/api/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', connection: 'close' },
        body: JSON.stringify({
          name: 'C',
          email: 'cluster@example.com',
          password: 'cluster pass 1',
        }),
      });
      const { token } = (await registered.json()) as { token: string };
      const statuses = await Promise.all(
        Array.from({ length: 20 }, () =>
          fetch(`${url}/api/profile`, {
            headers: { authorization: `Bearer ${token}`, connection: 'close' },
          }).then((response) => response.status),
        ),
      );
      expect(statuses).toEqual(Array(20).fill(200));

      const [victim] = childrenOf(primary);
      process.kill(victim as number, 'SIGKILL');
      await until(() => {
        const now = childrenOf(primary);
        return now.length === 2 && !now.includes(victim as number) ? now : undefined;
      }, 10_000);
      const after = await fetch(`${url}/api/profile`, {
        headers: { authorization: `Bearer ${token}`, connection: 'close' },
      });
      expect(after.status).toBe(200);
      expect(output.join('')).toContain('worker died');

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(output.join('')).toContain('"msg":"shut down"');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 60_000);
});
