import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

// Real processes for the fault, proxy and soak runs: the embedded database, keycard and nginx,
// each started as ONE process (never through a wrapper that would leave an orphan on SIGKILL).
const root = join(__dirname, '..', '..');

export interface RealProcess {
  child: ChildProcess;
  pid: number;
  output(): string;
  /** Resolves with the first match of `pattern` in the output; rejects on exit or timeout. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
  /** Sends `signal` and waits for the exit; SIGKILL after `graceMs` if it is still running. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
}

/** Every process started here, so a run can kill what is left even when a test fails. */
const running = new Set<RealProcess>();

export function spawnProcess(
  command: string,
  args: string[],
  env: Record<string, string | undefined>,
): RealProcess {
  const child = spawn(command, args, {
    cwd: root,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: string[] = [];
  const output = () => chunks.join('');
  child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null)));
  });
  const handle: RealProcess = {
    child,
    pid: child.pid ?? -1,
    output,
    exited,
    waitFor: (pattern, timeoutMs = 45_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(output());
          if (!match) return false;
          cleanup();
          resolve(match);
          return true;
        };
        const onExit = () => {
          if (!check()) {
            cleanup();
            reject(new Error(`process ${child.pid} exited before ${pattern}:\n${output()}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${output()}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          child.stdout?.off('data', check);
          child.stderr?.off('data', check);
          child.off('exit', onExit);
        };
        if (check()) return;
        child.stdout?.on('data', check);
        child.stderr?.on('data', check);
        child.once('exit', onExit);
      }),
    stop: async (signal = 'SIGTERM', graceMs = 10_000) => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      running.delete(handle);
      return exited;
    },
  };
  running.add(handle);
  void exited.then(() => running.delete(handle));
  return handle;
}

/** Kills everything still running (afterAll calls it, whatever happened in the tests). */
export async function killAll(): Promise<void> {
  await Promise.all([...running].map((handle) => handle.stop('SIGKILL')));
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface DatabaseProcess extends RealProcess {
  uri: string;
}

/** The embedded wire server in its own process, on a fixed port, keeping its data in dbPath. */
export async function startDatabaseProcess(options: {
  port: number;
  dbPath: string;
}): Promise<DatabaseProcess> {
  const handle = spawnProcess(
    process.execPath,
    [
      '--conditions=keycard-source',
      '--import',
      'tsx',
      'packages/embedded-mongo/src/cli.ts',
      '--mode',
      'wire',
      '--port',
      String(options.port),
      '--dbpath',
      options.dbPath,
    ],
    {},
  );
  const [uri] = await handle.waitFor(/mongodb:\/\/[^\s,]+/);
  return { ...handle, uri };
}

export interface KeycardProcess extends RealProcess {
  url: string;
  port: number;
}

export const SIGNING_KEY = 'real-process-signing-key-0123456789-abcdefghijklmnop';

/** keycard from source, as `node --import tsx src/server.ts` (one process). */
export function spawnKeycard(env: Record<string, string>): RealProcess {
  return spawnProcess(
    process.execPath,
    ['--conditions=keycard-source', '--import', 'tsx', 'src/server.ts'],
    {
      NODE_ENV: 'test',
      PORT: '0',
      JWT_SECRET: SIGNING_KEY,
      BCRYPT_COST: '4',
      LOG_LEVEL: 'info',
      ...env,
    },
  );
}

export async function startKeycard(env: Record<string, string>): Promise<KeycardProcess> {
  const handle = spawnKeycard(env);
  const [, port] = await handle.waitFor(/listening on http:\/\/localhost:(\d+)/);
  return { ...handle, url: `http://127.0.0.1:${port}`, port: Number(port) };
}

export const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
