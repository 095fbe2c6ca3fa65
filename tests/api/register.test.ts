import jwt from 'jsonwebtoken';
import { createTestApp, request, type TestApp } from '../helpers/test-app';

let testApp: TestApp;

beforeAll(async () => {
  testApp = await createTestApp('register');
});
afterAll(() => testApp.close());

const USER_KEYS = ['createdAt', 'email', 'emailVerified', 'id', 'name', 'role', 'updatedAt'];

describe.each(['/api/auth/register', '/api/auth/signup'])('POST %s', (path) => {
  it('creates the user and responds 201 with a token and the public user', async () => {
    const email = `new-${path.length}@example.com`;
    const response = await request(testApp.app)
      .post(path)
      .send({
        name: '  Ada Lovelace ',
        email: `  ${email.toUpperCase()} `,
        password: 'analytical engine',
      });

    expect(response.status).toBe(201);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.body).toEqual({
      token: expect.any(String),
      tokenType: 'Bearer',
      expiresIn: 900,
      refreshToken: expect.stringMatching(/^[0-9a-f]{24}\.[A-Za-z0-9_-]{43}$/),
      refreshExpiresIn: expect.any(Number),
      deviceToken: expect.stringMatching(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/),
      user: {
        id: expect.stringMatching(/^[0-9a-f]{24}$/),
        name: 'Ada Lovelace',
        email,
        role: 'user',
        emailVerified: false,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      },
    });
    expect(Object.keys(response.body.user).sort()).toEqual(USER_KEYS);

    const stored = await testApp.context.core.users.findOne({ email }).select('+password').lean();
    expect(stored?.password).toMatch(/^\$2[aby]\$04\$/);
    expect(stored?.password).not.toContain('analytical engine');

    const claims = jwt.decode(response.body.token) as jwt.JwtPayload;
    expect(claims).toMatchObject({
      sub: response.body.user.id,
      role: 'user',
      iss: 'keycard',
      aud: 'keycard-api',
    });
    expect(Number(claims.exp) - Number(claims.iat)).toBe(900);
    expect(typeof claims.jti).toBe('string');
  });
});

describe('POST /api/auth/register', () => {
  it('ignores role, _id and other extra fields (mass assignment)', async () => {
    const response = await request(testApp.app).post('/api/auth/register').send({
      name: 'Mallory',
      email: 'mallory@example.com',
      password: 'password-123',
      role: 'admin',
      _id: '0123456789abcdef01234567',
      createdAt: '2000-01-01T00:00:00.000Z',
      isAdmin: true,
    });
    expect(response.status).toBe(201);
    expect(response.body.user.role).toBe('user');
    expect(response.body.user.id).not.toBe('0123456789abcdef01234567');
    const stored = await testApp.context.core.users
      .findOne({ email: 'mallory@example.com' })
      .lean();
    expect(stored?.role).toBe('user');
    expect(stored).not.toHaveProperty('isAdmin');
    expect(stored?.createdAt.getFullYear()).toBeGreaterThan(2000);
  });

  it('responds 409 email_taken for an email registered in another letter case, writing nothing', async () => {
    await request(testApp.app)
      .post('/api/auth/register')
      .send({ name: 'First', email: 'taken@example.com', password: 'password-123' })
      .expect(201);
    const response = await request(testApp.app)
      .post('/api/auth/register')
      .send({ name: 'Second', email: 'TAKEN@Example.com', password: 'password-456' });
    expect(response.status).toBe(409);
    expect(response.body).toEqual({
      error: 'An account with this email already exists',
      code: 'email_taken',
    });
    const stored = await testApp.context.core.users.find({ email: 'taken@example.com' }).lean();
    expect(stored).toHaveLength(1);
    expect(stored[0]?.name).toBe('First');
  });

  it('lets exactly one of several simultaneous sign-ups with one email win', async () => {
    const attempts = await Promise.all(
      Array.from({ length: 5 }, (_, index) =>
        request(testApp.app)
          .post('/api/auth/register')
          .send({ name: `Racer ${index}`, email: 'race@example.com', password: 'password-123' }),
      ),
    );
    expect(attempts.map((response) => response.status).sort()).toEqual([201, 409, 409, 409, 409]);
    expect(await testApp.context.core.users.countDocuments({ email: 'race@example.com' })).toBe(1);
  });

  const valid = { name: 'Valid Name', email: 'valid@example.com', password: 'password-123' };
  const badInputs: [string, Record<string, unknown>, string][] = [
    ['a missing name', { ...valid, name: undefined }, 'name'],
    ['an empty name', { ...valid, name: '   ' }, 'name'],
    ['a 101-character name', { ...valid, name: 'n'.repeat(101) }, 'name'],
    ['a numeric name', { ...valid, name: 42 }, 'name'],
    ['a missing email', { ...valid, email: undefined }, 'email'],
    ['an invalid email', { ...valid, email: 'not-an-email' }, 'email'],
    [
      'an email over 254 characters',
      { ...valid, email: `${'a'.repeat(64)}@${'b'.repeat(190)}.com` },
      'email',
    ],
    ['an operator object as email', { ...valid, email: { $gt: '' } }, 'email'],
    ['an array as email', { ...valid, email: ['valid@example.com'] }, 'email'],
    ['a missing password', { ...valid, password: undefined }, 'password'],
    ['a 7-character password', { ...valid, password: 'short12' }, 'password'],
    ['a password of 73 bytes', { ...valid, password: 'p'.repeat(73) }, 'password'],
    [
      'a password of 25 three-byte characters (75 bytes)',
      { ...valid, password: '€'.repeat(25) },
      'password',
    ],
    ['a numeric password', { ...valid, password: 12345678 }, 'password'],
  ];

  describe.each(badInputs)('with %s', (_label, body, field) => {
    it(`responds 400 validation_error naming ${field} and writes nothing`, async () => {
      const before = await testApp.context.core.users.countDocuments();
      const response = await request(testApp.app).post('/api/auth/register').send(body);
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('validation_error');
      expect(response.body.error).toBe('Request validation failed');
      expect(response.body.details).toEqual(
        expect.arrayContaining([{ path: field, message: expect.any(String) }]),
      );
      expect(await testApp.context.core.users.countDocuments()).toBe(before);
    });
  });

  it('says why a password over 72 bytes is refused', async () => {
    const response = await request(testApp.app)
      .post('/api/auth/register')
      .send({ ...valid, password: 'p'.repeat(73) });
    expect(response.body.details).toEqual([
      {
        path: 'password',
        message: 'must be at most 72 bytes in UTF-8 (bcrypt ignores anything longer)',
      },
    ]);
  });

  it('accepts a password of exactly 72 bytes and keeps spaces around it', async () => {
    const password = ` ${'p'.repeat(70)} `;
    await request(testApp.app)
      .post('/api/auth/register')
      .send({ name: 'Edge', email: 'edge72@example.com', password })
      .expect(201);
    await request(testApp.app)
      .post('/api/auth/login')
      .send({ email: 'edge72@example.com', password })
      .expect(200);
    const trimmed = await request(testApp.app)
      .post('/api/auth/login')
      .send({ email: 'edge72@example.com', password: password.trim() });
    expect(trimmed.status).toBe(401);
  });

  it('lists every bad field at once', async () => {
    const response = await request(testApp.app).post('/api/auth/register').send({});
    expect(response.status).toBe(400);
    expect(response.body.details.map((detail: { path: string }) => detail.path).sort()).toEqual([
      'email',
      'name',
      'password',
    ]);
  });
});
