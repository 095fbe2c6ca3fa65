import {
  bearer,
  createTestApp,
  createUser,
  request,
  type CreatedUser,
  type TestApp,
} from '../helpers/test-app';

let testApp: TestApp;
let admin: CreatedUser;

beforeAll(async () => {
  testApp = await createTestApp('admin');
});
afterAll(() => testApp.close());

beforeEach(async () => {
  await testApp.context.core.users.deleteMany({});
  admin = await createUser(testApp, {
    name: 'Root Admin',
    email: 'root@example.com',
    role: 'admin',
  });
});

const get = (path: string, token = admin.token) =>
  request(testApp.app).get(path).set(bearer(token));

describe('admin routes', () => {
  it.each([
    ['GET', '/api/admin/users'],
    ['GET', '/api/admin/users/0123456789abcdef01234567'],
    ['PATCH', '/api/admin/users/0123456789abcdef01234567'],
    ['DELETE', '/api/admin/users/0123456789abcdef01234567'],
  ])(
    '%s %s responds 403 forbidden to a plain user and 401 without a token',
    async (method, path) => {
      const { token } = await createUser(testApp);
      const verb = method.toLowerCase() as 'get' | 'patch' | 'delete';
      const agent = request(testApp.app);
      const asUser = await agent[verb](path).set(bearer(token)).send({ role: 'admin' });
      expect(asUser.status).toBe(403);
      expect(asUser.body).toEqual({ error: 'You are not allowed to do this', code: 'forbidden' });
      const anonymous = await agent[verb](path);
      expect(anonymous.status).toBe(401);
      expect(anonymous.body.code).toBe('missing_token');
    },
  );
});

describe('GET /api/admin/users', () => {
  beforeEach(async () => {
    for (let index = 1; index <= 25; index += 1) {
      await createUser(testApp, { name: `Member ${index}`, email: `member${index}@example.com` });
    }
    await createUser(testApp, { name: 'Dot.*Star', email: 'dot.star@example.com' });
  });

  it('pages with defaults: page 1, limit 20, total of all users', async () => {
    const response = await get('/api/admin/users');
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ page: 1, limit: 20, total: 27 });
    expect(response.body.users).toHaveLength(20);
    expect(response.body.users[0]).toEqual({
      id: admin.user.id,
      name: 'Root Admin',
      email: 'root@example.com',
      role: 'admin',
      emailVerified: false,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
  });

  it('returns the rest on the next page without overlap', async () => {
    const first = await get('/api/admin/users?limit=20&page=1');
    const second = await get('/api/admin/users?limit=20&page=2');
    expect(second.body.users).toHaveLength(7);
    const ids = [...first.body.users, ...second.body.users].map((user: { id: string }) => user.id);
    expect(new Set(ids).size).toBe(27);
  });

  it('filters by role', async () => {
    const response = await get('/api/admin/users?role=admin');
    expect(response.body.total).toBe(1);
    expect(response.body.users.map((user: { email: string }) => user.email)).toEqual([
      'root@example.com',
    ]);
  });

  it('searches name and email case-insensitively', async () => {
    const response = await get('/api/admin/users?q=MEMBER1');
    const emails = response.body.users.map((user: { email: string }) => user.email).sort();
    expect(emails).toEqual(
      [
        'member1@example.com',
        ...Array.from({ length: 10 }, (_, i) => `member1${i}@example.com`),
      ].sort(),
    );
  });

  it('ignores a bracketed q[$ne] key instead of reading it as an operator', async () => {
    const response = await get('/api/admin/users?q[$ne]=x');
    expect(response.status).toBe(200);
    expect(response.body.total).toBe(27);
  });

  it('treats regex characters in q as literal text', async () => {
    const dotStar = await get(`/api/admin/users?q=${encodeURIComponent('.*')}`);
    expect(dotStar.status).toBe(200);
    expect(dotStar.body.users.map((user: { email: string }) => user.email)).toEqual([
      'dot.star@example.com',
    ]);
    const group = await get(`/api/admin/users?q=${encodeURIComponent('(a+)+$')}`);
    expect(group.status).toBe(200);
    expect(group.body.total).toBe(0);
  });

  it.each([
    ['page=0'],
    ['page=-1'],
    ['page=abc'],
    ['limit=0'],
    ['limit=101'],
    ['limit=2.5'],
    ['role=superuser'],
    ['q=a&q=b'],
    ['page=1&page=2'],
  ])('with %s responds 400 validation_error', async (query) => {
    const response = await get(`/api/admin/users?${query}`);
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('validation_error');
  });
});

describe('GET /api/admin/users/:id', () => {
  it('responds 200 with the user', async () => {
    const { user } = await createUser(testApp);
    const response = await get(`/api/admin/users/${user.id}`);
    expect(response.status).toBe(200);
    expect(response.body.user).toMatchObject({ id: user.id, email: user.email });
    expect(response.text).not.toContain('password');
  });

  it.each([['0123456789abcdef01234567'], ['not-an-id'], ['123'], ['%24ne']])(
    'for the unknown or malformed id %s responds 404 user_not_found',
    async (id) => {
      const response = await get(`/api/admin/users/${id}`);
      expect(response.status).toBe(404);
      expect(response.body).toEqual({ error: 'User not found', code: 'user_not_found' });
    },
  );
});

describe('PATCH /api/admin/users/:id', () => {
  const patch = (id: string, body: object, token = admin.token) =>
    request(testApp.app).patch(`/api/admin/users/${id}`).set(bearer(token)).send(body);

  it('promotes a user to admin, which applies to their next request at once', async () => {
    const member = await createUser(testApp);
    const response = await patch(member.user.id as string, { role: 'admin' });
    expect(response.status).toBe(200);
    expect(response.body.user).toMatchObject({ id: member.user.id, role: 'admin' });
    expect((await testApp.context.core.users.findById(member.user._id).lean())?.role).toBe('admin');
    await get('/api/admin/users', member.token).expect(200);
  });

  it('ignores every field but role', async () => {
    const member = await createUser(testApp);
    const response = await patch(member.user.id as string, {
      role: 'user',
      email: 'x@example.com',
      name: 'X',
    });
    expect(response.status).toBe(200);
    const stored = await testApp.context.core.users.findById(member.user._id).lean();
    expect(stored).toMatchObject({ email: member.user.email, name: member.user.name });
  });

  it('refuses to demote the last admin with 409 last_admin', async () => {
    const response = await patch(admin.user.id as string, { role: 'user' });
    expect(response.status).toBe(409);
    expect(response.body).toEqual({
      error: 'The last admin can be neither demoted nor deleted',
      code: 'last_admin',
    });
    expect((await testApp.context.core.users.findById(admin.user._id).lean())?.role).toBe('admin');
  });

  it('demotes an admin while another admin remains', async () => {
    const second = await createUser(testApp, { role: 'admin' });
    const response = await patch(admin.user.id as string, { role: 'user' }, second.token);
    expect(response.status).toBe(200);
    expect(response.body.user.role).toBe('user');
  });

  it('when two admins demote each other at once, at least one admin remains', async () => {
    const second = await createUser(testApp, { role: 'admin' });
    const responses = await Promise.all([
      patch(admin.user.id as string, { role: 'user' }, second.token),
      patch(second.user.id as string, { role: 'user' }, admin.token),
    ]);
    expect(
      await testApp.context.core.users.countDocuments({ role: 'admin' }),
    ).toBeGreaterThanOrEqual(1);
    // Either the second request finds its caller already demoted (403), or it meets the
    // last-admin rule (409): never two successes.
    const statuses = responses.map((response) => response.status).sort();
    expect([
      [200, 403],
      [200, 409],
      [409, 409],
    ]).toContainEqual(statuses);
    for (const response of responses.filter((each) => each.status === 409)) {
      expect(response.body.code).toBe('last_admin');
    }
  });

  it.each([[{}], [{ role: 'superuser' }], [{ role: ['admin'] }], [{ role: { $ne: 'user' } }]])(
    'with the body %j responds 400 validation_error',
    async (body) => {
      const member = await createUser(testApp);
      const response = await patch(member.user.id as string, body);
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('validation_error');
      expect((await testApp.context.core.users.findById(member.user._id).lean())?.role).toBe(
        'user',
      );
    },
  );

  it('for an unknown id responds 404 user_not_found', async () => {
    const response = await patch('0123456789abcdef01234567', { role: 'admin' });
    expect(response.status).toBe(404);
    expect(response.body.code).toBe('user_not_found');
  });
});

describe('DELETE /api/admin/users/:id', () => {
  const remove = (id: string, token = admin.token) =>
    request(testApp.app).delete(`/api/admin/users/${id}`).set(bearer(token));

  it('deletes the user: 204, gone from the database, their token dead', async () => {
    const member = await createUser(testApp);
    const response = await remove(member.user.id as string);
    expect(response.status).toBe(204);
    expect(response.text).toBe('');
    expect(await testApp.context.core.users.exists({ _id: member.user._id })).toBeNull();
    const after = await request(testApp.app).get('/api/profile').set(bearer(member.token));
    expect(after.body.code).toBe('account_deleted');
  });

  it('refuses to delete the last admin with 409 last_admin', async () => {
    const response = await remove(admin.user.id as string);
    expect(response.status).toBe(409);
    expect(response.body.code).toBe('last_admin');
    expect(await testApp.context.core.users.exists({ _id: admin.user._id })).not.toBeNull();
  });

  it('deletes an admin while another admin remains', async () => {
    const second = await createUser(testApp, { role: 'admin' });
    await remove(second.user.id as string).expect(204);
    expect(await testApp.context.core.users.countDocuments({ role: 'admin' })).toBe(1);
  });

  it('for an unknown or malformed id responds 404 user_not_found', async () => {
    for (const id of ['0123456789abcdef01234567', 'nope']) {
      const response = await remove(id);
      expect(response.status).toBe(404);
      expect(response.body.code).toBe('user_not_found');
    }
  });
});
