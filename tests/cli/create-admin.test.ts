import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mongoose from 'mongoose';
import { testDatabase } from '../helpers/test-database';

const run = promisify(execFile);
const root = join(__dirname, '..', '..');
const { uri, dbName } = testDatabase('create_admin');
const databaseUri = `${uri.replace(/\/?$/, '/')}${dbName}`;

let connection: mongoose.Connection;

beforeAll(async () => {
  connection = await mongoose.createConnection(databaseUri).asPromise();
});
afterAll(async () => {
  await connection.dropDatabase();
  await connection.close();
});

async function createAdmin(args: string[], env: Record<string, string | undefined>) {
  const childEnv = Object.fromEntries(
    Object.entries({ ...process.env, BCRYPT_COST: '4', ...env }).filter(
      ([, value]) => value !== undefined,
    ),
  );
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'src/cli/create-admin.ts', ...args],
      { cwd: root, env: childEnv, timeout: 30_000 },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('npm run create-admin', () => {
  it('creates an admin in MONGO_URI with the password from ADMIN_PASSWORD', async () => {
    const result = await createAdmin(['--email', 'Chief@Example.com', '--name', 'Chief'], {
      MONGO_URI: databaseUri,
      ADMIN_PASSWORD: 'chief password 1',
    });
    expect(result).toMatchObject({ code: 0 });
    expect(result.stdout).toContain('Admin chief@example.com created.');
    const stored = await connection.collection('users').findOne({ email: 'chief@example.com' });
    expect(stored).toMatchObject({ name: 'Chief', role: 'admin' });
    expect(stored?.password).toMatch(/^\$2[aby]\$04\$/);
    expect(JSON.stringify(result)).not.toContain('chief password 1');
  });

  it('refuses a password on the command line', async () => {
    const result = await createAdmin(['--email', 'x@example.com', '--password', 'on-the-argv-1'], {
      MONGO_URI: databaseUri,
      ADMIN_PASSWORD: 'chief password 1',
    });
    expect(result.code).toBe(1);
    expect(await connection.collection('users').countDocuments({ email: 'x@example.com' })).toBe(0);
  });

  it('refuses to run without MONGO_URI', async () => {
    const result = await createAdmin(['--email', 'y@example.com'], {
      MONGO_URI: undefined,
      ADMIN_PASSWORD: 'chief password 1',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('MONGO_URI is not set');
  });

  it('refuses a weak password with a clear message and writes nothing', async () => {
    const result = await createAdmin(['--email', 'z@example.com'], {
      MONGO_URI: databaseUri,
      ADMIN_PASSWORD: 'short',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('password: must be at least 8 characters');
    expect(await connection.collection('users').countDocuments({ email: 'z@example.com' })).toBe(0);
  });
});
