import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { once } from 'node:events';
import { MongoClient } from 'mongodb';

const cliPath = path.join(__dirname, '../src/cli.ts');

function startCli(args: string[]): ChildProcessWithoutNullStreams {
  const child = spawn(process.execPath, ['--import', 'tsx', cliPath, ...args], {
    env: process.env,
  });
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  return child;
}

/** Everything a child prints on stdout and stderr, and its exit code, once it has exited. */
async function runToExit(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = startCli(args);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: string) => (stdout += chunk));
  child.stderr.on('data', (chunk: string) => (stderr += chunk));
  const [code] = (await once(child, 'exit')) as [number];
  return { code, stdout, stderr };
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('npm run embedded-mongo', () => {
  it('prints only a usable URI on stdout and stops cleanly on SIGTERM', async () => {
    const child = startCli(['--mode', 'wire']);
    try {
      let stdout = '';
      const firstLine = new Promise<string>((resolve) => {
        child.stdout.on('data', (chunk: string) => {
          stdout += chunk;
          if (stdout.includes('\n')) resolve(stdout);
        });
      });
      const uri = (await firstLine).trim();
      expect(uri).toMatch(/^mongodb:\/\/127\.0\.0\.1:\d+\/$/);

      const client = await MongoClient.connect(uri);
      await expect(client.db('cli').command({ ping: 1 })).resolves.toEqual({ ok: 1 });
      await client.close();

      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = await exited;
      expect(code).toBe(0);
      expect(stdout.trim()).toBe(uri);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('with --port, listens on that port', async () => {
    const port = await freePort();
    const child = startCli(['--mode', 'wire', '--port', String(port)]);
    try {
      const [line] = (await once(child.stdout, 'data')) as [string];
      expect(line.trim()).toBe(`mongodb://127.0.0.1:${port}/`);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('with --auth, prints the only copy of random credentials in the URI; none gets code 13', async () => {
    const child = startCli(['--mode', 'wire', '--auth']);
    let stderr = '';
    child.stderr.on('data', (chunk: string) => (stderr += chunk));
    try {
      const [line] = (await once(child.stdout, 'data')) as [string];
      const uri = new URL(line.trim());
      expect(uri.username).not.toBe('');
      expect(uri.password).not.toBe('');
      const client = await MongoClient.connect(uri.href);
      await expect(client.db('cli').command({ ping: 1 })).resolves.toEqual({ ok: 1 });
      await client.close();

      const anonymous = await MongoClient.connect(`mongodb://${uri.host}/`);
      await expect(anonymous.db('cli').collection('c').findOne({})).rejects.toMatchObject({
        code: 13,
      });
      await anonymous.close();
      expect(stderr).toContain(
        `at ${uri.host}, data in memory (mode 'wire' requested, login required)`,
      );
      expect(stderr).not.toContain(decodeURIComponent(uri.password));
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('with --help, prints the usage on stdout and exits 0 without starting anything', async () => {
    const { code, stdout, stderr } = await runToExit(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: keycard-embedded-mongo \[--mode auto\|mongod\|wire\]/);
    // The launcher logs to stderr which server it started: nothing was.
    expect(stderr).toBe('');
  });

  it('with a bad argument, says what is wrong on stderr and exits 2', async () => {
    const { code, stdout, stderr } = await runToExit(['--mode', 'memory']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('--mode must be one of auto, mongod, wire; got "memory"');
    expect(stderr).toContain('--help');
  });
});
