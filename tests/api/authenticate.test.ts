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
let userId: string;
let sessionId: string;
let validToken: string;

beforeAll(async () => {
  testApp = await createTestApp('authenticate');
  const created = await createUser(testApp);
  userId = created.user.id as string;
  sessionId = created.sessionId;
  validToken = created.token;
});
afterAll(() => testApp.close());

const now = () => Math.floor(Date.now() / 1000);
const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const all: Record<string, unknown> = {
    sub: userId,
    sid: sessionId,
    role: 'user',
    iss: 'keycard',
    aud: 'keycard-api',
    iat: now(),
    exp: now() + 600,
    jti: 'test-jti',
    ...overrides,
  };
  return Object.fromEntries(Object.entries(all).filter(([, value]) => value !== undefined));
}

const sign = signTestToken;

function unsigned(alg: string): string {
  const header = { alg, typ: 'at+jwt', kid: keyIdOf(TEST_SECRET) };
  return `${base64url(header)}.${base64url(claims({ role: 'admin' }))}.`;
}

describe('GET /api/profile authentication', () => {
  it('when the token is valid, responds 200 with the user', async () => {
    const response = await request(testApp.app).get('/api/profile').set(bearer(validToken));
    expect(response.status).toBe(200);
    expect(response.body.user.id).toBe(userId);
  });

  it('accepts the Bearer scheme in any letter case', async () => {
    const response = await request(testApp.app)
      .get('/api/profile')
      .set('Authorization', `bearer ${validToken}`);
    expect(response.status).toBe(200);
  });

  describe.each([
    ['no Authorization header', undefined],
    ['an empty header', ''],
    ['a Basic scheme', 'Basic dXNlcjpwYXNz'],
    ['the word Bearer alone', 'Bearer'],
    ['a token without a scheme', 'TOKEN'],
  ])('when there is %s', (_label, header) => {
    it('responds 401 missing_token with a bare Bearer challenge', async () => {
      const call = request(testApp.app).get('/api/profile');
      if (header !== undefined) call.set('Authorization', header);
      const response = await call;
      expect(response.status).toBe(401);
      expect(response.body).toEqual({ error: 'Authentication required', code: 'missing_token' });
      expect(response.headers['www-authenticate']).toBe('Bearer realm="keycard"');
    });
  });

  it('ignores a token in the query string', async () => {
    const response = await request(testApp.app).get(`/api/profile?token=${validToken}`);
    expect(response.status).toBe(401);
    expect(response.body.code).toBe('missing_token');
  });

  const forged: [string, () => string][] = [
    ['alg none', () => unsigned('none')],
    ['alg None', () => unsigned('None')],
    ['alg NONE', () => unsigned('NONE')],
    ['alg nOnE', () => unsigned('nOnE')],
    ['the signature removed', () => validToken.split('.').slice(0, 2).join('.') + '.'],
    ['no signature segment', () => validToken.split('.').slice(0, 2).join('.')],
    [
      'the payload changed to admin',
      () => {
        const [header, , signature] = validToken.split('.');
        return `${header}.${base64url(claims({ role: 'admin' }))}.${signature}`;
      },
    ],
    [
      'another secret',
      () => sign(claims(), { secret: 'another-secret-of-sufficient-length-000000' }),
    ],
    [
      'another secret under the right kid',
      () =>
        sign(claims(), {
          secret: 'another-secret-of-sufficient-length-000000',
          header: { kid: keyIdOf(TEST_SECRET) },
        }),
    ],
    ['no typ header', () => sign(claims(), { header: { typ: undefined } })],
    ['typ JWT instead of at+jwt', () => sign(claims(), { header: { typ: 'JWT' } })],
    ['no kid', () => sign(claims(), { header: { kid: undefined } })],
    ['an unknown kid', () => sign(claims(), { header: { kid: 'not-a-known-key' } })],
    [
      'a jku header naming a key set elsewhere',
      () =>
        sign(claims(), {
          secret: 'attacker-controlled-secret-0000000000000',
          header: { jku: 'http://127.0.0.1:9/jwks.json', kid: 'attacker' },
        }),
    ],
    ['no sid', () => sign(claims({ sid: undefined }))],
    ['HS384 with the right secret', () => sign(claims(), { algorithm: 'HS384' })],
    ['HS512 with the right secret', () => sign(claims(), { algorithm: 'HS512' })],
    ['a wrong issuer', () => sign(claims({ iss: 'someone-else' }))],
    ['a wrong audience', () => sign(claims({ aud: 'another-api' }))],
    ['no exp', () => sign(claims({ exp: undefined }))],
    ['no sub', () => sign(claims({ sub: undefined }))],
    ['an unknown role', () => sign(claims({ role: 'superuser' }))],
    ['a malformed token', () => 'not-a-jwt'],
    ['three garbage segments', () => 'a.b.c'],
    [
      'a JSON payload that is not an object',
      () => `${base64url({ alg: 'HS256' })}.${Buffer.from('"x"').toString('base64url')}.x`,
    ],
  ];

  describe.each(forged)('when the token has %s', (_label, makeToken) => {
    it('responds 401 invalid_token with an RFC 6750 challenge', async () => {
      const response = await request(testApp.app).get('/api/profile').set(bearer(makeToken()));
      expect(response.status).toBe(401);
      expect(response.body).toEqual({ error: 'Invalid token', code: 'invalid_token' });
      expect(response.headers['www-authenticate']).toBe(
        'Bearer realm="keycard", error="invalid_token", error_description="Invalid token"',
      );
      expect(response.text).not.toMatch(/stack|at .*\.ts/i);
    });
  });

  it('when the token expired more than 30 s ago, responds 401 token_expired', async () => {
    const token = sign(claims({ iat: now() - 1000, exp: now() - 31 }));
    const response = await request(testApp.app).get('/api/profile').set(bearer(token));
    expect(response.status).toBe(401);
    expect(response.body).toEqual({ error: 'Token expired', code: 'token_expired' });
    expect(response.headers['www-authenticate']).toBe(
      'Bearer realm="keycard", error="invalid_token", error_description="Token expired"',
    );
  });

  it('when the token expired less than 30 s ago, still accepts it (clock skew)', async () => {
    const token = sign(claims({ iat: now() - 1000, exp: now() - 10 }));
    const response = await request(testApp.app).get('/api/profile').set(bearer(token));
    expect(response.status).toBe(200);
  });

  it('with a short ACCESS_TOKEN_TTL, allows at most a tenth of it for clock skew', async () => {
    const shortLived = await createTestApp('authenticate_short_ttl', { ACCESS_TOKEN_TTL: '2s' });
    try {
      const created = await createUser(shortLived);
      await request(shortLived.app).get('/api/profile').set(bearer(created.token)).expect(200);
      const ids = { sub: created.user.id as string, sid: created.sessionId };
      const expired = sign(claims({ ...ids, iat: now() - 3, exp: now() - 1 }));
      const response = await request(shortLived.app).get('/api/profile').set(bearer(expired));
      expect(response.status).toBe(401);
      expect(response.body.code).toBe('token_expired');
    } finally {
      await shortLived.close();
    }
  });

  it('refuses a token it accepted before once that token expires', async () => {
    // A 2 s lifetime leaves no clock tolerance: the token dies the second its exp is reached.
    const shortLived = await createTestApp('authenticate_expiring', { ACCESS_TOKEN_TTL: '2s' });
    try {
      const created = await createUser(shortLived);
      await request(shortLived.app).get('/api/profile').set(bearer(created.token)).expect(200);
      const { exp } = JSON.parse(
        Buffer.from(created.token.split('.')[1] ?? '', 'base64url').toString(),
      ) as { exp: number };
      await new Promise((resolve) => setTimeout(resolve, exp * 1000 - Date.now() + 50));
      const response = await request(shortLived.app).get('/api/profile').set(bearer(created.token));
      expect(response.status).toBe(401);
      expect(response.body.code).toBe('token_expired');
    } finally {
      await shortLived.close();
    }
  });

  it('refuses a token it accepted before once one character of it changes', async () => {
    await request(testApp.app).get('/api/profile').set(bearer(validToken)).expect(200);
    const at = validToken.length - 10;
    const altered =
      validToken.slice(0, at) + (validToken[at] === 'A' ? 'B' : 'A') + validToken.slice(at + 1);
    const response = await request(testApp.app).get('/api/profile').set(bearer(altered));
    expect(response.status).toBe(401);
    expect(response.body.code).toBe('invalid_token');
  });

  it('when a forged token is also expired, says invalid_token, not token_expired', async () => {
    const token = sign(claims({ exp: now() - 100 }), {
      secret: 'another-secret-of-sufficient-length-000000',
    });
    const response = await request(testApp.app).get('/api/profile').set(bearer(token));
    expect(response.body.code).toBe('invalid_token');
  });

  it('when the user no longer exists, responds 401 account_deleted', async () => {
    const { user, token } = await createUser(testApp);
    await testApp.context.core.users.deleteOne({ _id: user._id });
    const response = await request(testApp.app).get('/api/profile').set(bearer(token));
    expect(response.status).toBe(401);
    expect(response.body).toEqual({ error: 'User no longer exists', code: 'account_deleted' });
    expect(response.headers['www-authenticate']).toContain('error="invalid_token"');
  });

  it('uses the role stored in the database, not the one in the token', async () => {
    const { user, token } = await createUser(testApp, { role: 'admin' });
    await testApp.context.core.users.updateOne({ _id: user._id }, { $set: { role: 'user' } });
    const response = await request(testApp.app).get('/api/admin/users').set(bearer(token));
    expect(response.status).toBe(403);
    expect(response.body.code).toBe('forbidden');
  });
});
