import type { Response } from 'supertest';
import { createTestApp, request, type TestApp } from '../helpers/test-app';

const APP_ORIGIN = 'http://app.example.com';
let testApp: TestApp;

beforeAll(async () => {
  testApp = await createTestApp('refresh_cookie', { CORS_ORIGINS: APP_ORIGIN });
});
afterAll(() => testApp.close());

const COOKIE_MODE = { 'X-Refresh-Token-Transport': 'cookie' };
let counter = 0;

async function registerWithCookie(app = testApp) {
  counter += 1;
  return request(app.app)
    .post('/api/auth/register')
    .set(COOKIE_MODE)
    .send({ name: 'Cookie', email: `cookie${counter}@example.com`, password: 'password-123' })
    .expect(201);
}

function refreshCookieOf(response: Response): string {
  const header = ([] as string[]).concat(response.headers['set-cookie'] ?? []);
  const cookie = header.find((value) => value.startsWith('keycard_refresh='));
  if (!cookie) throw new Error('no keycard_refresh cookie was set');
  return cookie;
}

const cookiePair = (setCookie: string) => setCookie.split(';')[0] as string;

describe('refresh token in a cookie', () => {
  it('is set HttpOnly, SameSite=Strict, on /api/auth, for the session’s remaining life, and left out of the body', async () => {
    const response = await registerWithCookie();
    const cookie = refreshCookieOf(response);
    expect(cookie).toMatch(/^keycard_refresh=[0-9a-f]{24}\.[A-Za-z0-9_-]{43};/);
    expect(cookie).toMatch(/; Path=\/api\/auth(;|$)/);
    expect(cookie).toMatch(/; HttpOnly(;|$)/);
    expect(cookie).toMatch(/; SameSite=Strict(;|$)/);
    const maxAge = Number(/Max-Age=(\d+)/.exec(cookie)?.[1]);
    expect(maxAge).toBeGreaterThan(604_790);
    expect(maxAge).toBeLessThanOrEqual(604_800);
    // Plain http is tolerated here only because this is a test app on localhost.
    expect(cookie).not.toMatch(/; Secure/);
    expect(response.body.refreshToken).toBeUndefined();
    expect(response.body.refreshExpiresIn).toBeGreaterThan(0);
  });

  it('is marked Secure in production', async () => {
    const production = await createTestApp('refresh_cookie_prod', {
      NODE_ENV: 'production',
      BCRYPT_COST: '10',
      // Required in production; never contacted, since no test here starts the mail sender.
      SMTP_URL: 'smtp://127.0.0.1:9',
      CORS_ORIGINS: APP_ORIGIN,
    });
    try {
      const cookie = refreshCookieOf(await registerWithCookie(production));
      expect(cookie).toMatch(/; Secure(;|$)/);
    } finally {
      await production.close();
    }
  });

  it('refreshes from an allowed origin and rotates the cookie', async () => {
    const registered = await registerWithCookie();
    const first = cookiePair(refreshCookieOf(registered));
    const response = await request(testApp.app)
      .post('/api/auth/refresh')
      .set('Origin', APP_ORIGIN)
      .set('Cookie', first);
    expect(response.status).toBe(200);
    expect(response.body.refreshToken).toBeUndefined();
    const second = cookiePair(refreshCookieOf(response));
    expect(second).not.toBe(first);
  });

  it.each([
    ['a foreign origin', 'https://evil.example.com'],
    ['the null origin', 'null'],
    ['no origin', undefined],
  ])(
    'refuses a cookie refresh from %s with 403 csrf_rejected and rotates nothing',
    async (_label, origin) => {
      const registered = await registerWithCookie();
      const cookie = cookiePair(refreshCookieOf(registered));
      const call = request(testApp.app).post('/api/auth/refresh').set('Cookie', cookie);
      if (origin) call.set('Origin', origin);
      const response = await call;
      expect(response.status).toBe(403);
      expect(response.body).toEqual({
        error: 'Cookie requests must come from an allowed origin',
        code: 'csrf_rejected',
      });
      await request(testApp.app)
        .post('/api/auth/refresh')
        .set('Origin', APP_ORIGIN)
        .set('Cookie', cookie)
        .expect(200);
    },
  );

  it('logout with the cookie ends the session and clears the cookie', async () => {
    const registered = await registerWithCookie();
    const cookie = cookiePair(refreshCookieOf(registered));
    const response = await request(testApp.app)
      .post('/api/auth/logout')
      .set('Origin', APP_ORIGIN)
      .set('Cookie', cookie);
    expect(response.status).toBe(204);
    expect(refreshCookieOf(response)).toMatch(/^keycard_refresh=;.*Expires=Thu, 01 Jan 1970/);
    const refreshed = await request(testApp.app)
      .post('/api/auth/refresh')
      .set('Origin', APP_ORIGIN)
      .set('Cookie', cookie);
    expect(refreshed.body.code).toBe('session_revoked');
  });

  it('logout with the cookie from a foreign origin is refused', async () => {
    const registered = await registerWithCookie();
    const cookie = cookiePair(refreshCookieOf(registered));
    const response = await request(testApp.app)
      .post('/api/auth/logout')
      .set('Origin', 'https://evil.example.com')
      .set('Cookie', cookie);
    expect(response.status).toBe(403);
    expect(response.body.code).toBe('csrf_rejected');
  });
});

describe('the refresh cookie from keycard’s own origin (the /demo and /docs pages)', () => {
  it('is accepted when Origin is the very origin the request was sent to', async () => {
    const registered = await registerWithCookie();
    const cookie = cookiePair(refreshCookieOf(registered));
    const response = await request(testApp.app)
      .post('/api/auth/refresh')
      .set('Cookie', cookie)
      .set('Host', 'localhost:3000')
      .set('Origin', 'http://localhost:3000');
    expect(response.status).toBe(200);
  });

  it('is refused from the same host on another port or scheme', async () => {
    const registered = await registerWithCookie();
    const cookie = cookiePair(refreshCookieOf(registered));
    for (const origin of ['http://127.0.0.1', 'https://127.0.0.1', 'http://127.0.0.1:1']) {
      const response = await request(testApp.app)
        .post('/api/auth/refresh')
        .set('Cookie', cookie)
        .set('Host', '127.0.0.1:4000')
        .set('Origin', origin);
      expect({ origin, status: response.status }).toEqual({ origin, status: 403 });
    }
    const same = await request(testApp.app)
      .post('/api/auth/refresh')
      .set('Cookie', cookie)
      .set('Host', '127.0.0.1:4000')
      .set('Origin', 'http://127.0.0.1:4000');
    expect(same.status).toBe(200);
  });
});

describe('REFRESH_COOKIE_SAMESITE', () => {
  it.each([
    ['lax', /; SameSite=Lax(;|$)/, false],
    ['none', /; SameSite=None(;|$)/, true],
    ['strict', /; SameSite=Strict(;|$)/, false],
  ])(
    '%s: the refresh and device cookies carry it, Secure on localhost only with none',
    async (sameSite, attribute, secure) => {
      const app = await createTestApp(`refresh_cookie_${sameSite}`, {
        CORS_ORIGINS: APP_ORIGIN,
        REFRESH_COOKIE_SAMESITE: sameSite,
      });
      try {
        const registered = await registerWithCookie(app);
        const login = await request(app.app)
          .post('/api/auth/login')
          .set(COOKIE_MODE)
          .send({ email: registered.body.user.email, password: 'password-123' })
          .expect(200);
        const cookies = ([] as string[]).concat(login.headers['set-cookie'] ?? []);
        expect(cookies.map((cookie) => cookie.split('=')[0]).sort()).toEqual([
          'keycard_device',
          'keycard_refresh',
        ]);
        for (const cookie of cookies) {
          expect(cookie).toMatch(attribute);
          expect(/; Secure(;|$)/.test(cookie)).toBe(secure);
        }
        const logout = await request(app.app)
          .post('/api/auth/logout')
          .set('Origin', APP_ORIGIN)
          .set('Cookie', cookiePair(refreshCookieOf(login)));
        expect(logout.status).toBe(204);
        // Clearing must name the same attributes, or a browser keeps the old cookie.
        expect(refreshCookieOf(logout)).toMatch(attribute);
      } finally {
        await app.close();
      }
    },
  );
});
