import { bearer, createTestApp, createUser, request, type TestApp } from '../helpers/test-app';

let testApp: TestApp;

beforeAll(async () => {
  testApp = await createTestApp('profile');
});
afterAll(() => testApp.close());

describe('GET /api/profile', () => {
  it('responds 200 with exactly the public fields of the current user', async () => {
    const { user, token } = await createUser(testApp);
    const response = await request(testApp.app).get('/api/profile').set(bearer(token));
    expect(response.status).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.body).toEqual({
      user: {
        id: user.id,
        name: user.name,
        email: user.email,
        role: 'user',
        emailVerified: false,
        createdAt: user.createdAt.toISOString(),
        updatedAt: user.updatedAt.toISOString(),
      },
    });
    expect(response.text).not.toMatch(/password|__v|\$2[aby]\$/);
  });
});

describe('PATCH /api/profile', () => {
  it('changes the name, trimmed, and nothing else', async () => {
    const { user, token } = await createUser(testApp);
    const hashBefore = (
      await testApp.context.core.users.findById(user._id).select('+password').lean()
    )?.password;
    const response = await request(testApp.app).patch('/api/profile').set(bearer(token)).send({
      name: '  New Name  ',
      email: 'stolen@example.com',
      role: 'admin',
      password: 'hijacked-1',
    });
    expect(response.status).toBe(200);
    expect(response.body.user).toMatchObject({
      id: user.id,
      name: 'New Name',
      email: user.email,
      role: 'user',
    });

    const stored = await testApp.context.core.users.findById(user._id).select('+password').lean();
    expect(stored).toMatchObject({ name: 'New Name', email: user.email, role: 'user' });
    expect(stored?.password).toBe(hashBefore);
  });

  it.each([
    ['no name', {}],
    ['an empty name', { name: '' }],
    ['a name that is an object', { name: { $set: 'x' } }],
    ['a 101-character name', { name: 'x'.repeat(101) }],
  ])('with %s responds 400 validation_error and changes nothing', async (_label, body) => {
    const { user, token } = await createUser(testApp);
    const response = await request(testApp.app).patch('/api/profile').set(bearer(token)).send(body);
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('validation_error');
    expect(response.body.details[0].path).toBe('name');
    const stored = await testApp.context.core.users.findById(user._id).lean();
    expect(stored?.name).toBe(user.name);
    expect(stored?.updatedAt.toISOString()).toBe(user.updatedAt.toISOString());
  });

  it('without a token responds 401 missing_token', async () => {
    const response = await request(testApp.app).patch('/api/profile').send({ name: 'x' });
    expect(response.status).toBe(401);
    expect(response.body.code).toBe('missing_token');
  });
});
