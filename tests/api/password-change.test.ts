import { bearer, createTestApp, createUser, request, type TestApp } from '../helpers/test-app';

let testApp: TestApp;

beforeAll(async () => {
  testApp = await createTestApp('password_change');
});
afterAll(() => testApp.close());

async function loginAs(email: string, password: string) {
  return request(testApp.app).post('/api/auth/login').send({ email, password });
}

describe('PUT /api/profile/password', () => {
  it('changes the password, keeps this session and ends every other one', async () => {
    const { user, password, token } = await createUser(testApp);
    const other = await loginAs(user.email, password);
    const stranger = await createUser(testApp);

    const response = await request(testApp.app)
      .put('/api/profile/password')
      .set(bearer(token))
      .send({ currentPassword: password, newPassword: 'brand new password' });
    expect(response.status).toBe(204);

    await request(testApp.app).get('/api/profile').set(bearer(token)).expect(200);
    const revoked = await request(testApp.app).get('/api/profile').set(bearer(other.body.token));
    expect(revoked.body.code).toBe('session_revoked');
    const refreshed = await request(testApp.app)
      .post('/api/auth/refresh')
      .send({ refreshToken: other.body.refreshToken });
    expect(refreshed.body.code).toBe('session_revoked');
    await request(testApp.app).get('/api/profile').set(bearer(stranger.token)).expect(200);

    expect((await loginAs(user.email, password)).status).toBe(401);
    expect((await loginAs(user.email, 'brand new password')).status).toBe(200);
  });

  it('refuses a current password over 72 bytes whose first 72 match, as login does', async () => {
    const password = 'p'.repeat(72);
    const { user, token } = await createUser(testApp, { password });
    const response = await request(testApp.app)
      .put('/api/profile/password')
      .set(bearer(token))
      .send({ currentPassword: `${password}-and-more`, newPassword: 'another new password' });
    expect(response.status).toBe(401);
    expect(response.body.code).toBe('invalid_credentials');
    expect((await loginAs(user.email, password)).status).toBe(200);
  });

  it('with a wrong current password responds 401 invalid_credentials and changes nothing', async () => {
    const { user, password, token } = await createUser(testApp);
    const other = await loginAs(user.email, password);
    const before = await testApp.context.core.users.findById(user._id).select('+password').lean();
    const response = await request(testApp.app)
      .put('/api/profile/password')
      .set(bearer(token))
      .send({ currentPassword: 'wrong-password', newPassword: 'brand new password' });
    expect(response.status).toBe(401);
    expect(response.body).toEqual({
      error: 'Invalid email or password',
      code: 'invalid_credentials',
    });
    const after = await testApp.context.core.users.findById(user._id).select('+password').lean();
    expect(after?.password).toBe(before?.password);
    await request(testApp.app).get('/api/profile').set(bearer(other.body.token)).expect(200);
  });

  it.each([
    ['a short new password', { newPassword: 'short' }, 'newPassword'],
    ['a new password over 72 bytes', { newPassword: 'é'.repeat(37) }, 'newPassword'],
    ['no current password', { currentPassword: undefined }, 'currentPassword'],
    ['an operator as current password', { currentPassword: { $ne: null } }, 'currentPassword'],
  ])('with %s responds 400 validation_error', async (_label, override, field) => {
    const { password, token } = await createUser(testApp);
    const response = await request(testApp.app)
      .put('/api/profile/password')
      .set(bearer(token))
      .send({ currentPassword: password, newPassword: 'brand new password', ...override });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('validation_error');
    expect(response.body.details.map((detail: { path: string }) => detail.path)).toContain(field);
  });

  it('without a token responds 401 missing_token', async () => {
    const response = await request(testApp.app)
      .put('/api/profile/password')
      .send({ currentPassword: 'a', newPassword: 'brand new password' });
    expect(response.status).toBe(401);
    expect(response.body.code).toBe('missing_token');
  });
});
