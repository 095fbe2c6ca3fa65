import { spawn } from 'node:child_process';
import path from 'node:path';
import { once } from 'node:events';
import { MongoClient } from 'mongodb';

const cliPath = path.join(__dirname, '../src/cli.ts');

describe('npm run embedded-mongo', () => {
  it('prints only a usable URI on stdout and stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', cliPath], {
      env: { ...process.env, EMBEDDED_MONGO: 'wire' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let stdout = '';
      child.stdout.setEncoding('utf8');
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
});
