import { bearer, createTestApp, createUser, request, type TestApp } from '../helpers/test-app';

let testApp: TestApp;

beforeAll(async () => {
  testApp = await createTestApp('names');
});
afterAll(() => testApp.close());

let counter = 0;
function register(name: string) {
  counter += 1;
  return request(testApp.app)
    .post('/api/auth/register')
    .send({ name, email: `names-${counter}@example.com`, password: 'correct horse battery' });
}

const EMOJI = '\u{1F600}';

describe('display names', () => {
  it('count characters, not UTF-16 units: 100 emoji are accepted', async () => {
    const response = await register(EMOJI.repeat(100));
    expect(response.status).toBe(201);
    expect(response.body.user.name).toBe(EMOJI.repeat(100));
  });

  it('101 emoji get 400 validation_error that echoes neither the input nor Mongoose', async () => {
    const response = await register(EMOJI.repeat(101));
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      error: 'Request validation failed',
      code: 'validation_error',
      details: [{ path: 'name', message: 'must be at most 100 characters' }],
    });
    expect(response.text).not.toContain(EMOJI);
  });

  it.each([
    ['only NUL characters', '\u0000\u0000'],
    ['a control character', 'Ada\u0007 Lovelace'],
    ['a right-to-left override', 'Ada\u202Eecalevol'],
    ['a bidi isolate', '\u2066admin\u2069'],
    ['only zero-width characters', '\u200B\u200C\u200D'],
    ['only a Hangul filler', '\u3164'],
    ['only combining marks', '\u0301\u0301'],
  ])('with %s are refused with 400 and nothing is stored', async (_label, name) => {
    const response = await register(name);
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('validation_error');
    expect(response.body.details[0].path).toBe('name');
    expect(await testApp.context.core.users.countDocuments({ name })).toBe(0);
  });

  it('the same rules hold for PATCH /api/profile', async () => {
    const { token } = await createUser(testApp);
    const response = await request(testApp.app)
      .patch('/api/profile')
      .set(bearer(token))
      .send({ name: '\u202Enimda' });
    expect(response.status).toBe(400);
    expect(response.body.details).toEqual([
      { path: 'name', message: 'must not contain control or text-direction characters' },
    ]);
  });

  it('names in any script, with accents and inner spaces, are fine', async () => {
    for (const name of ['Zoë Ångström', '李小龍', 'محمد علي', 'Renée\u00A0Dupont']) {
      expect((await register(name)).status).toBe(201);
    }
  });
});

describe('GET /api/admin/users?q=', () => {
  it('a NUL or other control character in q responds 400, not 500', async () => {
    const admin = await createUser(testApp, { role: 'admin' });
    for (const q of ['%00', 'a%07b']) {
      const response = await request(testApp.app)
        .get(`/api/admin/users?q=${q}`)
        .set(bearer(admin.token));
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('validation_error');
    }
  });
});
