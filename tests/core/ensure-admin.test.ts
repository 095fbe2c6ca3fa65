import { ensureFirstAdmin, upsertAdmin } from '../../src/core/ensure-admin';
import { bearer, createTestApp, createUser, request, type TestApp } from '../helpers/test-app';

let testApp: TestApp;

beforeAll(async () => {
  testApp = await createTestApp('ensure_admin');
});
afterAll(() => testApp.close());
beforeEach(() => testApp.context.core.users.deleteMany({}));

const seed = { email: 'boss@example.com', password: 'boss password 1', name: 'Boss' };

describe('ensureFirstAdmin', () => {
  it('creates the admin when none exists, with a hashed password', async () => {
    expect(await ensureFirstAdmin(testApp.context.core, seed)).toBe('created');
    const admin = await testApp.context.core.users
      .findOne({ email: seed.email })
      .select('+password');
    expect(admin?.role).toBe('admin');
    expect(admin?.password).not.toBe(seed.password);
    expect(await admin?.comparePassword(seed.password)).toBe(true);
  });

  it('does nothing when an admin already exists', async () => {
    await createUser(testApp, { role: 'admin', email: 'other-admin@example.com' });
    expect(await ensureFirstAdmin(testApp.context.core, seed)).toBe('exists');
    expect(await testApp.context.core.users.exists({ email: seed.email })).toBeNull();
  });

  it('promotes an existing account with that email, replaces its password and ends its sessions', async () => {
    const squatter = await createUser(testApp, { email: seed.email, password: 'squatter-pass' });
    expect(await ensureFirstAdmin(testApp.context.core, seed)).toBe('promoted');
    const admin = await testApp.context.core.users.findById(squatter.user._id).select('+password');
    expect(admin?.role).toBe('admin');
    expect(await admin?.comparePassword('squatter-pass')).toBe(false);
    expect(await admin?.comparePassword(seed.password)).toBe(true);
    const profile = await request(testApp.app).get('/api/admin/users').set(bearer(squatter.token));
    expect(profile.status).toBe(401);
    expect(profile.body.code).toBe('session_revoked');
    const refreshed = await request(testApp.app)
      .post('/api/auth/refresh')
      .send({ refreshToken: squatter.refreshToken });
    expect(refreshed.body.code).toBe('session_revoked');
  });

  it('creates one admin when two instances start at once', async () => {
    await Promise.all([
      upsertAdmin(testApp.context.core, seed),
      upsertAdmin(testApp.context.core, seed),
    ]);
    expect(
      await testApp.context.core.users.countDocuments({ email: seed.email, role: 'admin' }),
    ).toBe(1);
  });
});
