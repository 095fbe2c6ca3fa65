import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createTestApp, createUser, request, type TestApp } from '../helpers/test-app';

const run = promisify(execFile);
const root = join(__dirname, '..', '..');
let testApp: TestApp;

beforeAll(async () => {
  testApp = await createTestApp('revoke_all');
});
afterAll(() => testApp.close());

async function revokeAll(args: string[], env: Record<string, string | undefined>) {
  const childEnv = Object.fromEntries(
    Object.entries({ ...process.env, ...env }).filter(([, value]) => value !== undefined),
  );
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      [
        join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
        'src/cli/revoke-all-sessions.ts',
        ...args,
      ],
      { cwd: root, env: childEnv, timeout: 30_000 },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

const databaseUri = () => `${testApp.connection.getClient().options.hosts[0]}`;

describe('npm run revoke-all-sessions', () => {
  it('ends every session of every user: refresh and access tokens stop working', async () => {
    const first = await createUser(testApp);
    const second = await createUser(testApp);
    const uri = `mongodb://${databaseUri()}/${testApp.connection.name}`;
    const result = await revokeAll(['--yes'], { MONGO_URI: uri });
    expect(result).toMatchObject({ code: 0 });
    expect(result.stdout).toMatch(/Revoked \d+ active session\(s\)\./);
    for (const user of [first, second]) {
      const profile = await request(testApp.app)
        .get('/api/profile')
        .set('Authorization', `Bearer ${user.token}`);
      expect(profile.body.code).toBe('session_revoked');
      const refreshed = await request(testApp.app)
        .post('/api/auth/refresh')
        .send({ refreshToken: user.refreshToken });
      expect(refreshed.body.code).toBe('session_revoked');
    }
    expect(await testApp.context.core.sessions.countDocuments({ revokedAt: null })).toBe(0);
    // Logging in again works.
    const again = await request(testApp.app)
      .post('/api/auth/login')
      .send({ email: first.user.email, password: first.password });
    expect(again.status).toBe(200);
  });

  it('without --yes explains itself and changes nothing', async () => {
    const user = await createUser(testApp);
    const uri = `mongodb://${databaseUri()}/${testApp.connection.name}`;
    const result = await revokeAll([], { MONGO_URI: uri });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('Usage: npm run revoke-all-sessions -- --yes');
    const profile = await request(testApp.app)
      .get('/api/profile')
      .set('Authorization', `Bearer ${user.token}`);
    expect(profile.status).toBe(200);
  });
});
