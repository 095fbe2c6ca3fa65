import bcrypt from 'bcryptjs';
import { createTestApp, createUser, request, type TestApp } from '../helpers/test-app';

let testApp: TestApp;

beforeAll(async () => {
  testApp = await createTestApp('login');
});
afterAll(() => testApp.close());

describe('POST /api/auth/login', () => {
  it('with the right password, responds 200 with a token that opens the profile', async () => {
    const { user, password } = await createUser(testApp, { email: 'right@example.com' });
    const response = await request(testApp.app)
      .post('/api/auth/login')
      .send({ email: ' RIGHT@example.com ', password });
    expect(response.status).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.body).toMatchObject({ tokenType: 'Bearer', expiresIn: 900 });
    expect(response.body.user).toEqual({
      id: user.id,
      name: user.name,
      email: 'right@example.com',
      role: 'user',
      emailVerified: false,
      createdAt: user.createdAt.toISOString(),
      updatedAt: user.updatedAt.toISOString(),
    });
    await request(testApp.app)
      .get('/api/profile')
      .set('Authorization', `Bearer ${response.body.token}`)
      .expect(200);
  });

  it('gives an unknown email and a wrong password the same 401, body and headers', async () => {
    await createUser(testApp, { email: 'known@example.com' });
    const wrongPassword = await request(testApp.app)
      .post('/api/auth/login')
      .send({ email: 'known@example.com', password: 'not-the-password' });
    const unknownEmail = await request(testApp.app)
      .post('/api/auth/login')
      .send({ email: 'nobody@example.com', password: 'not-the-password' });

    for (const response of [wrongPassword, unknownEmail]) {
      expect(response.status).toBe(401);
      expect(response.body).toEqual({
        error: 'Invalid email or password',
        code: 'invalid_credentials',
      });
    }
    // Only what must differ between any two requests may differ: the date, the request id and
    // the per-IP counter that both requests advanced.
    const perRequest = new Set(['date', 'x-request-id', 'ratelimit-remaining', 'ratelimit-reset']);
    const comparable = (headers: Record<string, string>) =>
      Object.entries(headers).map(([name, value]) => [name, perRequest.has(name) ? '*' : value]);
    expect(comparable(unknownEmail.headers)).toEqual(comparable(wrongPassword.headers));
  });

  it('spends a bcrypt comparison on an unknown email too', async () => {
    const compare = jest.spyOn(testApp.context.core.hasher, 'compare');
    try {
      await request(testApp.app)
        .post('/api/auth/login')
        .send({ email: 'ghost@example.com', password: 'whatever-123' })
        .expect(401);
      expect(compare).toHaveBeenCalledTimes(1);
      expect(compare.mock.calls[0]?.[1]).toMatch(/^\$2[aby]\$04\$/);
    } finally {
      compare.mockRestore();
    }
  });

  it('refuses a candidate longer than 72 bytes that starts with the 72-byte password', async () => {
    const password = 'x'.repeat(72);
    await createUser(testApp, { email: 'long@example.com', password });
    await request(testApp.app)
      .post('/api/auth/login')
      .send({ email: 'long@example.com', password })
      .expect(200);
    const response = await request(testApp.app)
      .post('/api/auth/login')
      .send({ email: 'long@example.com', password: `${password}extra` });
    expect(response.status).toBe(401);
    expect(response.body.code).toBe('invalid_credentials');
  });

  it('re-hashes a password stored with a lower cost than configured', async () => {
    const { user, password } = await createUser(testApp, { email: 'old@example.com' });
    const oldHash = bcrypt.hashSync(password, 4);
    await testApp.context.core.users.collection.updateOne(
      { _id: user._id },
      { $set: { password: oldHash } },
    );
    const stronger = await createTestApp(
      'login',
      { BCRYPT_COST: '5' },
      { shareDatabaseWith: testApp },
    );
    try {
      await request(stronger.app)
        .post('/api/auth/login')
        .send({ email: 'old@example.com', password })
        .expect(200);
      const stored = await testApp.context.core.users.findById(user._id).select('+password').lean();
      expect(stored?.password).toMatch(/^\$2[aby]\$05\$/);
      expect(bcrypt.compareSync(password, stored?.password ?? '')).toBe(true);
    } finally {
      await stronger.close();
    }
  });

  const badInputs: [string, unknown][] = [
    ['an operator object as email', { email: { $ne: null }, password: 'x' }],
    ['an operator object as password', { email: 'known@example.com', password: { $ne: null } }],
    ['a regex-looking email', { email: { $regex: '.*' }, password: 'x' }],
    ['no password', { email: 'known@example.com' }],
    ['an empty password', { email: 'known@example.com', password: '' }],
    ['an array body', [{ email: 'known@example.com', password: 'x' }]],
  ];
  describe.each(badInputs)('with %s', (_label, body) => {
    it('responds 400 validation_error before any query', async () => {
      const find = jest.spyOn(testApp.context.core.users, 'findOne');
      try {
        const response = await request(testApp.app)
          .post('/api/auth/login')
          .send(body as object);
        expect(response.status).toBe(400);
        expect(response.body.code).toBe('validation_error');
        expect(find).not.toHaveBeenCalled();
      } finally {
        find.mockRestore();
      }
    });
  });
});
