// Starting and measuring the servers under comparison, each in a process of its own.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';

export interface Running {
  name: string;
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

// Every process started here, so that none outlives a benchmark that fails half-way (one left
// stopped by freeze() included); a run that reaches its end has stopped each gracefully already.
const started = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of started) {
    for (const pid of familyOf(child.pid ?? 0).reverse()) {
      try {
        if (pid) process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
});

function track(child: ChildProcess): ChildProcess {
  started.add(child);
  child.once('exit', () => started.delete(child));
  return child;
}

/** A process and all its descendants (a cluster's workers too), parents first. */
function familyOf(pid: number): number[] {
  return [pid, ...childrenOf(pid).flatMap(familyOf)];
}

/**
 * Stops (SIGSTOP) or continues (SIGCONT) a server and its workers, so that a measurement can
 * have the machine to itself. A process that has already exited is skipped.
 */
export function freeze(target: Running, frozen: boolean): void {
  // Never signal pid 0: that is this process's whole group, the benchmark included.
  if (!target.child.pid) return;
  const signal = frozen ? 'SIGSTOP' : 'SIGCONT';
  for (const pid of familyOf(target.child.pid)) {
    try {
      process.kill(pid, signal);
    } catch {
      // Gone between listing and signalling.
    }
  }
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

async function waitUntilAnswering(url: string, child: ChildProcess, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${url}: the process exited (${child.exitCode})`);
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`${url}: no answer within ${timeoutMs} ms`);
}

/**
 * Starts `node args…` with its output discarded (a server's logs are still written: to
 * /dev/null), and resolves once `probePath` answers on the given port.
 */
export async function startServer(options: {
  name: string;
  args: string[];
  env: Record<string, string>;
  port: number;
  probePath: string;
}): Promise<Running> {
  const devNull = openSync('/dev/null', 'w');
  const child = track(
    spawn(process.execPath, options.args, {
      env: { PATH: process.env.PATH ?? '', ...options.env, PORT: String(options.port) },
      stdio: ['ignore', devNull, 'inherit'],
    }),
  );
  const url = `http://127.0.0.1:${options.port}`;
  await waitUntilAnswering(`${url}${options.probePath}`, child);
  return {
    name: options.name,
    url,
    child,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Starts the embedded database in its own process and resolves with its URI. */
export async function startDatabase(
  port: number,
): Promise<{ uri: string; pid: number; stop(): Promise<void> }> {
  const child = track(
    spawn(
      process.execPath,
      ['packages/embedded-mongo/dist/cli.js', '--mode', 'wire', '--port', String(port)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    ),
  );
  const uri = await new Promise<string>((resolve, reject) => {
    child.stdout?.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
    child.once('exit', (code) => reject(new Error(`embedded database exited (${code})`)));
  });
  return {
    uri,
    pid: child.pid ?? 0,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGINT');
      }),
  };
}

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((task) =>
      readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8')
        .split(' ')
        .filter(Boolean)
        .map(Number),
    );
  } catch {
    return [];
  }
}

/** CPU seconds from a /proc stat file: fields 14 and 15 (utime, stime), after the name. */
function statSeconds(path: string): number {
  try {
    const fields = readFileSync(path, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** CPU seconds used so far by a process and all its descendants (a cluster's workers too). */
export function cpuSeconds(pid: number): number {
  return (
    statSeconds(`/proc/${pid}/stat`) +
    childrenOf(pid).reduce((sum, child) => sum + cpuSeconds(child), 0)
  );
}

/** CPU seconds used so far by a process's main thread alone (a Node server's event loop). */
export function mainThreadCpuSeconds(pid: number): number {
  return statSeconds(`/proc/${pid}/task/${pid}/stat`);
}
