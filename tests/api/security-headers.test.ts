import type { Response } from 'supertest';
import { bearer, createTestApp, createUser, request, type TestApp } from '../helpers/test-app';

const ALLOWED = 'https://app.example.com';
let testApp: TestApp;

beforeAll(async () => {
  testApp = await createTestApp('security_headers', {
    CORS_ORIGINS: `${ALLOWED},http://localhost:5173`,
  });
});
afterAll(() => testApp.close());

function expectHardened(response: Response): void {
  expect(response.headers['x-powered-by']).toBeUndefined();
  expect(response.headers['x-content-type-options']).toBe('nosniff');
  expect(response.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  expect(response.headers['x-frame-options']).toBe('DENY');
  expect(response.headers['referrer-policy']).toBe('no-referrer');
  expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
}

describe('security headers', () => {
  it('are on success and error responses alike', async () => {
    const { token } = await createUser(testApp);
    const responses = [
      await request(testApp.app).get('/'),
      await request(testApp.app).get('/api/profile').set(bearer(token)),
      await request(testApp.app).get('/api/profile'),
      await request(testApp.app).get('/no/such/path'),
      await request(testApp.app)
        .post('/api/auth/login')
        .set('Content-Type', 'application/json')
        .send('{'),
    ];
    expect(responses.map((response) => response.status)).toEqual([200, 200, 401, 404, 400]);
    responses.forEach(expectHardened);
  });

  it('Cache-Control: no-store on every response carrying tokens or user data', async () => {
    const { token } = await createUser(testApp);
    const registered = await request(testApp.app)
      .post('/api/auth/register')
      .send({ name: 'C', email: 'cache@example.com', password: 'password-123' });
    const profile = await request(testApp.app).get('/api/profile').set(bearer(token));
    const failed = await request(testApp.app)
      .post('/api/auth/login')
      .send({ email: 'cache@example.com', password: 'wrong-password' });
    for (const response of [registered, profile, failed]) {
      expect(response.headers['cache-control']).toBe('no-store');
    }
  });

  it('no HSTS outside production, HSTS in production', async () => {
    const development = await request(testApp.app).get('/');
    expect(development.headers['strict-transport-security']).toBeUndefined();
    const production = await createTestApp('security_headers_prod', {
      NODE_ENV: 'production',
      BCRYPT_COST: '10',
      // Required in production; never contacted, since no test here starts the mail sender.
      SMTP_URL: 'smtp://127.0.0.1:9',
    });
    try {
      const response = await request(production.app).get('/');
      expect(response.headers['strict-transport-security']).toBe(
        'max-age=31536000; includeSubDomains',
      );
    } finally {
      await production.close();
    }
  });

  it('a wrong method on a known path is a JSON 404', async () => {
    const response = await request(testApp.app).delete('/api/auth/login');
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ error: 'Not found', code: 'not_found' });
  });
});

describe('request ids', () => {
  it('keeps a caller’s well-formed X-Request-Id and replaces a malformed one', async () => {
    const kept = await request(testApp.app).get('/').set('X-Request-Id', 'trace-abc.123');
    expect(kept.headers['x-request-id']).toBe('trace-abc.123');
    const replaced = await request(testApp.app)
      .get('/')
      .set('X-Request-Id', 'bad id with spaces <script>');
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('CORS', () => {
  it('allows a configured origin, with credentials, on success and error responses', async () => {
    for (const path of ['/', '/api/profile']) {
      const response = await request(testApp.app).get(path).set('Origin', ALLOWED);
      expect(response.headers['access-control-allow-origin']).toBe(ALLOWED);
      expect(response.headers['access-control-allow-credentials']).toBe('true');
      expect(response.headers.vary).toMatch(/Origin/);
    }
  });

  it.each([['https://evil.example.com'], ['null'], ['https://app.example.com.evil.com']])(
    'never allows %s',
    async (origin) => {
      const response = await request(testApp.app).get('/').set('Origin', origin);
      expect(response.headers['access-control-allow-origin']).toBeUndefined();
    },
  );

  it('never answers with a wildcard', async () => {
    const response = await request(testApp.app).get('/');
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers a preflight from an allowed origin with the methods and headers it may use', async () => {
    const response = await request(testApp.app)
      .options('/api/auth/refresh')
      .set('Origin', ALLOWED)
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'content-type, x-refresh-token-transport');
    expect(response.status).toBe(204);
    expect(response.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(response.headers['access-control-allow-methods']).toContain('POST');
    expect(response.headers['access-control-allow-headers']).toContain('X-Refresh-Token-Transport');
  });

  it('gives a preflight from a foreign origin no CORS headers', async () => {
    const response = await request(testApp.app)
      .options('/api/auth/login')
      .set('Origin', 'https://evil.example.com')
      .set('Access-Control-Request-Method', 'POST');
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
    expect(response.headers['access-control-allow-credentials']).toBeUndefined();
  });
});
