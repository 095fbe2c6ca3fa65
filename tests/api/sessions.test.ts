import jwt from 'jsonwebtoken';
import { keyIdOf } from '../../src/core/tokens';
import {
  bearer,
  createTestApp,
  createUser,
  request,
  signTestToken,
  TEST_SECRET,
  type TestApp,
} from '../helpers/test-app';

let testApp: TestApp;

beforeAll(async () => {
  testApp = await createTestApp('sessions');
});
afterAll(() => testApp.close());

let counter = 0;

/** Registers through the API, as a client would, and returns what it got back. */
async function register(headers: Record<string, string> = {}) {
  counter += 1;
  const response = await request(testApp.app)
    .post('/api/auth/register')
    .set(headers)
    .send({ name: `S${counter}`, email: `s${counter}@example.com`, password: 'password-123' })
    .expect(201);
  return response;
}

async function login(email: string, headers: Record<string, string> = {}) {
  return request(testApp.app)
    .post('/api/auth/login')
    .set(headers)
    .send({ email, password: 'password-123' })
    .expect(200);
}

const refresh = (refreshToken: unknown) =>
  request(testApp.app).post('/api/auth/refresh').send({ refreshToken });

const sidOf = (token: string) => (jwt.decode(token) as jwt.JwtPayload).sid as string;

describe('sessions on register and login', () => {
  it('each returns a refresh token naming a new session, stored only as a hash', async () => {
    const registered = await register();
    const { refreshToken, refreshExpiresIn, token } = registered.body;
    expect(refreshToken).toMatch(/^[0-9a-f]{24}\.[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(refreshToken.split('.')[1], 'base64url')).toHaveLength(32);
    expect(refreshExpiresIn).toBeGreaterThan(604_790);
    expect(refreshExpiresIn).toBeLessThanOrEqual(604_800);
    const sid = sidOf(token);
    expect(refreshToken.startsWith(`${sid}.`)).toBe(true);

    const stored = await testApp.context.core.sessions.findById(sid).lean();
    expect(stored).toMatchObject({ userId: expect.anything(), revokedAt: null });
    expect(JSON.stringify(stored)).not.toContain(refreshToken.split('.')[1]);
    expect(stored?.currentTokenHash).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const loggedIn = await login(registered.body.user.email);
    expect(sidOf(loggedIn.body.token)).not.toBe(sid);
    expect(await testApp.context.core.sessions.countDocuments({ userId: stored?.userId })).toBe(2);
  });

  it('records the user agent and IP of the session', async () => {
    const response = await register({ 'User-Agent': 'keycard-test/1.0' });
    const stored = await testApp.context.core.sessions.findById(sidOf(response.body.token)).lean();
    expect(stored?.userAgent).toBe('keycard-test/1.0');
    expect(stored?.ip).toMatch(/127\.0\.0\.1|::1/);
  });

  it('session documents expire through a TTL index on expiresAt', async () => {
    const indexes = await testApp.context.core.sessions.collection.indexes();
    expect(indexes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ key: { expiresAt: 1 }, expireAfterSeconds: 0 }),
      ]),
    );
  });
});

describe('POST /api/auth/refresh', () => {
  it('returns a new access token and a new refresh token; the old one stops working', async () => {
    const { body } = await register();
    const first = await refresh(body.refreshToken);
    expect(first.status).toBe(200);
    expect(first.headers['cache-control']).toBe('no-store');
    expect(first.body).toMatchObject({ tokenType: 'Bearer', expiresIn: 900, user: body.user });
    expect(first.body.refreshToken).not.toBe(body.refreshToken);
    expect(sidOf(first.body.token)).toBe(sidOf(body.token));
    await request(testApp.app).get('/api/profile').set(bearer(first.body.token)).expect(200);
    const second = await refresh(first.body.refreshToken);
    expect(second.status).toBe(200);
  });

  it('does not extend the absolute lifetime of the session', async () => {
    const { body } = await register();
    const sid = sidOf(body.token);
    const before = (await testApp.context.core.sessions.findById(sid).lean())?.expiresAt;
    const rotated = await refresh(body.refreshToken).expect(200);
    const after = (await testApp.context.core.sessions.findById(sid).lean())?.expiresAt;
    expect(after?.getTime()).toBe(before?.getTime());
    expect(rotated.body.refreshExpiresIn).toBeLessThanOrEqual(body.refreshExpiresIn);
  });

  it('when an already rotated token comes back: 401 refresh_token_reused and the session dies', async () => {
    const { body } = await register();
    const stolen = body.refreshToken;
    const attacker1 = await refresh(stolen).expect(200);
    const attacker2 = await refresh(attacker1.body.refreshToken).expect(200);
    await sleepPastGraceWindow(body.token);

    const victim = await refresh(stolen);
    expect(victim.status).toBe(401);
    expect(victim.body).toEqual({
      error: 'Refresh token was already used; the session has been revoked',
      code: 'refresh_token_reused',
    });
    // Every descendant token and every access token of that session is dead now.
    const descendant = await refresh(attacker2.body.refreshToken);
    expect(descendant.status).toBe(401);
    expect(descendant.body.code).toBe('session_revoked');
    for (const token of [body.token, attacker1.body.token, attacker2.body.token]) {
      const profile = await request(testApp.app).get('/api/profile').set(bearer(token));
      expect(profile.status).toBe(401);
      expect(profile.body.code).toBe('session_revoked');
    }
    const stored = await testApp.context.core.sessions.findById(sidOf(body.token)).lean();
    expect(stored?.revokedAt).toBeInstanceOf(Date);
  });

  it('four parallel refreshes with one token never fork the session', async () => {
    const { body } = await register();
    const results = await Promise.all(Array.from({ length: 4 }, () => refresh(body.refreshToken)));
    expect(results.map((response) => response.status)).toEqual([200, 200, 200, 200]);
    const successors = new Set(results.map((response) => response.body.refreshToken));
    expect(successors.size).toBe(1);
    const [successor] = [...successors];
    await refresh(successor).expect(200);
    const stored = await testApp.context.core.sessions.findById(sidOf(body.token)).lean();
    expect(stored?.revokedAt).toBeNull();
    expect(stored?.usedTokenHashes).toHaveLength(2);
  });

  it.each([
    ['garbage', 'garbage'],
    ['an unknown session', '0123456789abcdef01234567.' + 'A'.repeat(43)],
    ['a known session with a secret it never issued', undefined],
    ['an empty string', ''],
  ])('with %s responds 401 invalid_refresh_token and revokes nothing', async (_label, value) => {
    const { body } = await register();
    const token = value ?? `${sidOf(body.token)}.${'B'.repeat(43)}`;
    const response = await refresh(token);
    expect(response.status).toBe(401);
    expect(response.body).toEqual({
      error: 'Invalid refresh token',
      code: 'invalid_refresh_token',
    });
    await refresh(body.refreshToken).expect(200);
  });

  it.each([[123], [{ $ne: null }], [['a']], [null]])(
    'with the non-string %j responds 400 validation_error',
    async (value) => {
      const response = await refresh(value);
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('validation_error');
      expect(response.body.details[0].path).toBe('refreshToken');
    },
  );

  it('without a refresh token responds 400 validation_error', async () => {
    const response = await request(testApp.app).post('/api/auth/refresh').send({});
    expect(response.status).toBe(400);
    expect(response.body.details).toEqual([{ path: 'refreshToken', message: 'is required' }]);
  });

  it('refuses an expired session even when its refresh token was never used', async () => {
    const { body } = await register();
    const sid = sidOf(body.token);
    await testApp.context.core.sessions.updateOne(
      { _id: sid },
      { $set: { expiresAt: new Date(Date.now() - 1000) } },
    );
    const response = await refresh(body.refreshToken);
    expect(response.status).toBe(401);
    expect(response.body.code).toBe('session_revoked');
    const profile = await request(testApp.app).get('/api/profile').set(bearer(body.token));
    expect(profile.body.code).toBe('session_revoked');
  });
});

describe('POST /api/auth/logout', () => {
  it('revokes the current session at once; the access token and refresh token die', async () => {
    const { body } = await register();
    const other = await login(body.user.email);
    const response = await request(testApp.app).post('/api/auth/logout').set(bearer(body.token));
    expect(response.status).toBe(204);
    const profile = await request(testApp.app).get('/api/profile').set(bearer(body.token));
    expect(profile.status).toBe(401);
    expect(profile.body.code).toBe('session_revoked');
    expect((await refresh(body.refreshToken)).body.code).toBe('session_revoked');
    // Other sessions of the same user live on.
    await request(testApp.app).get('/api/profile').set(bearer(other.body.token)).expect(200);
  });

  it('is idempotent', async () => {
    const { body } = await register();
    await request(testApp.app).post('/api/auth/logout').set(bearer(body.token)).expect(204);
    await request(testApp.app).post('/api/auth/logout').set(bearer(body.token)).expect(204);
    await request(testApp.app)
      .post('/api/auth/logout')
      .send({ refreshToken: body.refreshToken })
      .expect(204);
  });

  it('with an expired access token, ends the session named by the refresh token', async () => {
    const { body } = await register();
    const claims = jwt.decode(body.token) as jwt.JwtPayload;
    const expired = signTestToken({ ...claims, exp: Math.floor(Date.now() / 1000) - 3600 });
    const profile = await request(testApp.app).get('/api/profile').set(bearer(expired));
    expect(profile.body.code).toBe('token_expired');
    const response = await request(testApp.app)
      .post('/api/auth/logout')
      .send({ refreshToken: body.refreshToken });
    expect(response.status).toBe(204);
    const stored = await testApp.context.core.sessions.findById(claims.sid).lean();
    expect(stored?.revokedAt).toBeInstanceOf(Date);
  });

  it('with a forged access token responds 401 invalid_token and revokes nothing', async () => {
    const { body } = await register();
    const claims = jwt.decode(body.token) as jwt.JwtPayload;
    const forged = signTestToken(claims, {
      secret: 'some-other-secret-that-is-long-enough-000',
      header: { kid: keyIdOf(TEST_SECRET) },
    });
    const response = await request(testApp.app).post('/api/auth/logout').set(bearer(forged));
    expect(response.status).toBe(401);
    expect(response.body.code).toBe('invalid_token');
    await request(testApp.app).get('/api/profile').set(bearer(body.token)).expect(200);
  });

  it('without any token responds 401 missing_token', async () => {
    const response = await request(testApp.app).post('/api/auth/logout');
    expect(response.status).toBe(401);
    expect(response.body.code).toBe('missing_token');
  });
});

describe('POST /api/auth/logout-all', () => {
  it('revokes every session of the user and no one else’s', async () => {
    const { body } = await register();
    const second = await login(body.user.email);
    const stranger = await createUser(testApp);
    await request(testApp.app).post('/api/auth/logout-all').set(bearer(body.token)).expect(204);
    for (const token of [body.token, second.body.token]) {
      const profile = await request(testApp.app).get('/api/profile').set(bearer(token));
      expect(profile.body.code).toBe('session_revoked');
    }
    await request(testApp.app).get('/api/profile').set(bearer(stranger.token)).expect(200);
  });

  it('without a token responds 401 missing_token', async () => {
    await request(testApp.app).post('/api/auth/logout-all').expect(401);
  });
});

describe('GET and DELETE /api/auth/sessions', () => {
  it('lists the active sessions of the user, marking the current one', async () => {
    const { body } = await register({ 'User-Agent': 'laptop' });
    const phone = await login(body.user.email, { 'User-Agent': 'phone' });
    const ended = await login(body.user.email);
    await request(testApp.app).post('/api/auth/logout').set(bearer(ended.body.token)).expect(204);
    await createUser(testApp);

    const response = await request(testApp.app).get('/api/auth/sessions').set(bearer(body.token));
    expect(response.status).toBe(200);
    const sessions = response.body.sessions as { id: string; current: boolean }[];
    expect(sessions.map((session) => session.id).sort()).toEqual(
      [sidOf(body.token), sidOf(phone.body.token)].sort(),
    );
    expect(sessions.find((session) => session.current)?.id).toBe(sidOf(body.token));
    expect(sessions.find((session) => !session.current)).toEqual({
      id: sidOf(phone.body.token),
      createdAt: expect.any(String),
      lastUsedAt: expect.any(String),
      userAgent: 'phone',
      ip: expect.any(String),
      current: false,
    });
    expect(response.text).not.toMatch(/Hash|refresh/i);
  });

  it('DELETE revokes one of the user’s own sessions', async () => {
    const { body } = await register();
    const phone = await login(body.user.email);
    await request(testApp.app)
      .delete(`/api/auth/sessions/${sidOf(phone.body.token)}`)
      .set(bearer(body.token))
      .expect(204);
    const profile = await request(testApp.app).get('/api/profile').set(bearer(phone.body.token));
    expect(profile.body.code).toBe('session_revoked');
    await request(testApp.app).get('/api/profile').set(bearer(body.token)).expect(200);
  });

  it('DELETE of another user’s session answers 404 and leaves it alive', async () => {
    const { body } = await register();
    const victim = await createUser(testApp);
    for (const id of [victim.sessionId, '0123456789abcdef01234567', 'nope']) {
      const response = await request(testApp.app)
        .delete(`/api/auth/sessions/${id}`)
        .set(bearer(body.token));
      expect(response.status).toBe(404);
      expect(response.body).toEqual({ error: 'Session not found', code: 'session_not_found' });
    }
    await request(testApp.app).get('/api/profile').set(bearer(victim.token)).expect(200);
  });
});

/** Moves the session's last rotation out of the race grace window instead of waiting. */
async function sleepPastGraceWindow(accessToken: string): Promise<void> {
  await testApp.context.core.sessions.updateOne(
    { _id: sidOf(accessToken) },
    { $set: { rotatedAt: new Date(Date.now() - 60_000) } },
  );
}
