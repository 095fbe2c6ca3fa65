import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const packageRoot = path.join(__dirname, '../..');
const cliPath = path.join(packageRoot, 'src/cli.ts');

/**
 * A server in a process of its own. It runs under `node --import tsx`, one process: tsx's own
 * cli.mjs would run the script in a second, child process, which a SIGKILL of the first leaves
 * running (and holding the data directory).
 */
export interface ServerProcess {
  child: ChildProcessWithoutNullStreams;
  uri: string;
  /** Everything the process has written to stderr so far. */
  stderr(): string;
}

function spawnScript(script: string, args: string[]): ChildProcessWithoutNullStreams {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=keycard-source', script, ...args],
    { cwd: packageRoot, env: process.env },
  );
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  return child;
}

/** Resolves with the first line on stdout (the URI), or rejects with stderr if the process exits. */
async function started(child: ChildProcessWithoutNullStreams): Promise<ServerProcess> {
  let stderr = '';
  child.stderr.on('data', (chunk: string) => (stderr += chunk));
  let stdout = '';
  const uri = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      if (stdout.includes('\n')) resolve(stdout.trim());
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${stderr}`)));
  });
  return { child, uri, stderr: () => stderr };
}

/** The package CLI in wire mode on `dbPath`, once it has printed its URI. */
export function startCliServer(dbPath: string, port: number): Promise<ServerProcess> {
  const args = ['--mode', 'wire', '--port', String(port), '--dbpath', dbPath];
  return started(spawnScript(cliPath, args));
}

/** A wire server that checkpoints once its journal passes `checkpointJournalBytes`. */
export function startCheckpointingServer(
  dbPath: string,
  port: number,
  checkpointJournalBytes: number,
): Promise<ServerProcess> {
  const script = path.join(packageRoot, 'tests/fixtures/checkpointing-wire-server.ts');
  return started(spawnScript(script, [dbPath, String(port), String(checkpointJournalBytes)]));
}

/** Runs the CLI to its end: for a start that must fail. */
export async function runCliToExit(
  dbPath: string,
  port: number,
): Promise<{ code: number | null; stderr: string }> {
  const child = spawnScript(cliPath, [
    '--mode',
    'wire',
    '--port',
    String(port),
    '--dbpath',
    dbPath,
  ]);
  let stderr = '';
  child.stderr.on('data', (chunk: string) => (stderr += chunk));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stderr };
}

/** kill -9: the process gets no chance to flush, checkpoint or unlock anything. */
export async function killHard(server: ServerProcess): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  const exited = once(server.child, 'exit');
  server.child.kill('SIGKILL');
  await exited;
}

/** SIGTERM: the clean stop a user's Ctrl+C gives. */
export async function stopCleanly(server: ServerProcess): Promise<number | null> {
  const exited = once(server.child, 'exit');
  server.child.kill('SIGTERM');
  const [code] = (await exited) as [number | null];
  return code;
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export function temporaryDirectory(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `embedded-mongo-${label}-`));
}
