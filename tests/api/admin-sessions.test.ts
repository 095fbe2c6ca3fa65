import { bearer, createTestApp, createUser, request, type TestApp } from '../helpers/test-app';

let testApp: TestApp;

beforeAll(async () => {
  testApp = await createTestApp('admin_sessions');
});
afterAll(() => testApp.close());

describe('admin and sessions', () => {
  it('deleting a user deletes their sessions', async () => {
    const admin = await createUser(testApp, { role: 'admin' });
    const member = await createUser(testApp);
    await request(testApp.app)
      .delete(`/api/admin/users/${member.user.id as string}`)
      .set(bearer(admin.token))
      .expect(204);
    expect(await testApp.context.core.sessions.countDocuments({ userId: member.user._id })).toBe(0);
    const refreshed = await request(testApp.app)
      .post('/api/auth/refresh')
      .send({ refreshToken: member.refreshToken });
    expect(refreshed.body.code).toBe('invalid_refresh_token');
  });

  it('POST /api/admin/users/:id/logout revokes all of that user’s sessions', async () => {
    const admin = await createUser(testApp, { role: 'admin' });
    const member = await createUser(testApp);
    const response = await request(testApp.app)
      .post(`/api/admin/users/${member.user.id as string}/logout`)
      .set(bearer(admin.token));
    expect(response.status).toBe(204);
    const profile = await request(testApp.app).get('/api/profile').set(bearer(member.token));
    expect(profile.body.code).toBe('session_revoked');
    await request(testApp.app).get('/api/profile').set(bearer(admin.token)).expect(200);
  });

  it('POST /api/admin/users/:id/logout answers 404 for an unknown user and 403 for a non-admin', async () => {
    const admin = await createUser(testApp, { role: 'admin' });
    const member = await createUser(testApp);
    const unknown = await request(testApp.app)
      .post('/api/admin/users/0123456789abcdef01234567/logout')
      .set(bearer(admin.token));
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('user_not_found');
    const forbidden = await request(testApp.app)
      .post(`/api/admin/users/${admin.user.id as string}/logout`)
      .set(bearer(member.token));
    expect(forbidden.status).toBe(403);
  });
});
