import type { Response } from 'supertest';
import { appsClosedAfterAll, createUser, request, type TestApp } from '../helpers/test-app';

const appWith = appsClosedAfterAll('rate_limits');

function login(testApp: TestApp, email: string, password: string, forwardedFor?: string) {
  const call = request(testApp.app).post('/api/auth/login');
  if (forwardedFor) call.set('X-Forwarded-For', forwardedFor);
  return call.send({ email, password });
}

function expectTooManyRequests(response: Response): number {
  expect(response.status).toBe(429);
  expect(response.body).toEqual({
    error: 'Too many requests, try again later',
    code: 'too_many_requests',
  });
  const retryAfter = Number(response.headers['retry-after']);
  expect(retryAfter).toBeGreaterThan(0);
  expect(response.headers['ratelimit-limit']).toMatch(/^\d+$/);
  expect(response.headers['ratelimit-remaining']).toBe('0');
  expect(Number(response.headers['ratelimit-reset'])).toBe(retryAfter);
  expect(response.headers['ratelimit-policy']).toMatch(/^\d+;w=\d+$/);
  return retryAfter;
}

describe('the rate_limits collection', () => {
  it('has its unique key and TTL indexes before the first request', async () => {
    const testApp = await appWith({});
    const indexes = await testApp.connection.collection('rate_limits').indexes();
    expect(indexes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ key: { key: 1 }, unique: true }),
        expect.objectContaining({ key: { expire: -1 }, expireAfterSeconds: 0 }),
      ]),
    );
  });

  it('has a TTL index on the login gates before the first request', async () => {
    const testApp = await appWith({});
    const indexes = await testApp.connection.collection('login_gates').indexes();
    expect(indexes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ key: { expireAt: 1 }, expireAfterSeconds: 0 }),
      ]),
    );
  });
});

describe('login lockout per email and IP', () => {
  it('after LOGIN_MAX_FAILURES failures, even the right password gets 429 for about a minute', async () => {
    const testApp = await appWith({ LOGIN_MAX_FAILURES: '3' });
    const { user, password } = await createUser(testApp);
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      expect((await login(testApp, user.email, 'wrong-password')).status).toBe(401);
    }
    const blocked = await login(testApp, user.email, password);
    const retryAfter = expectTooManyRequests(blocked);
    expect(retryAfter).toBeGreaterThan(55);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(blocked.body.token).toBeUndefined();
  });

  it('guesses sent in parallel cannot slip past the limit while bcrypt runs', async () => {
    const testApp = await appWith({ LOGIN_MAX_FAILURES: '5' });
    const { user, password } = await createUser(testApp);
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, index) => login(testApp, user.email, `guess-${index}`)),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(5);
    expect(statuses.filter((status) => status === 429)).toHaveLength(15);
    expectTooManyRequests(await login(testApp, user.email, password));
  });

  it('attempts made while blocked do not extend the block', async () => {
    const testApp = await appWith({ LOGIN_MAX_FAILURES: '2' });
    const { user } = await createUser(testApp);
    await login(testApp, user.email, 'wrong-password');
    await login(testApp, user.email, 'wrong-password');
    const first = expectTooManyRequests(await login(testApp, user.email, 'wrong-password'));
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const again = expectTooManyRequests(await login(testApp, user.email, 'wrong-password'));
      expect(again).toBeLessThanOrEqual(first);
    }
  });

  it('locks out an unknown email at the same attempt as a known one', async () => {
    const testApp = await appWith({ LOGIN_MAX_FAILURES: '3' });
    const { user } = await createUser(testApp);
    const statuses = async (email: string) => {
      const seen: number[] = [];
      for (let attempt = 0; attempt < 5; attempt += 1) {
        seen.push((await login(testApp, email, 'wrong-password')).status);
      }
      return seen;
    };
    const known = await statuses(user.email);
    const unknown = await statuses('nobody-here@example.com');
    expect(known).toEqual([401, 401, 401, 429, 429]);
    expect(unknown).toEqual(known);
  });

  it('a success resets the count', async () => {
    const testApp = await appWith({ LOGIN_MAX_FAILURES: '3' });
    const { user, password } = await createUser(testApp);
    await login(testApp, user.email, 'wrong-password');
    await login(testApp, user.email, 'wrong-password');
    expect((await login(testApp, user.email, password)).status).toBe(200);
    await login(testApp, user.email, 'wrong-password');
    await login(testApp, user.email, 'wrong-password');
    expect((await login(testApp, user.email, password)).status).toBe(200);
  });

  it('each new block lasts twice as long as the one before', async () => {
    const testApp = await appWith({ LOGIN_MAX_FAILURES: '2' });
    const { user } = await createUser(testApp);
    const retryAfters: number[] = [];
    for (let round = 0; round < 3; round += 1) {
      await login(testApp, user.email, 'wrong-password');
      await login(testApp, user.email, 'wrong-password');
      retryAfters.push(expectTooManyRequests(await login(testApp, user.email, 'wrong-password')));
      // Let the block run out without waiting for it.
      await testApp.connection
        .collection<{ _id: string }>('login_gates')
        .updateMany({ _id: { $regex: '^pair:' } }, { $set: { failuresUntil: Date.now() - 1000 } });
    }
    expect(retryAfters[0]).toBeLessThanOrEqual(60);
    expect(retryAfters[1]).toBeGreaterThan(115);
    expect(retryAfters[1]).toBeLessThanOrEqual(120);
    expect(retryAfters[2]).toBeGreaterThan(235);
    expect(retryAfters[2]).toBeLessThanOrEqual(240);
  });

  it('is shared by two instances on one database', async () => {
    const first = await appWith({ LOGIN_MAX_FAILURES: '3' });
    const second = await appWith({ LOGIN_MAX_FAILURES: '3' }, first);
    const { user, password } = await createUser(first);
    await login(first, user.email, 'wrong-password');
    await login(second, user.email, 'wrong-password');
    await login(first, user.email, 'wrong-password');
    expectTooManyRequests(await login(second, user.email, password));
    expectTooManyRequests(await login(first, user.email, password));
  });
});

describe('login limits across IPs and emails (behind a trusted proxy)', () => {
  it('LOGIN_MAX_FAILURES_PER_DAY stops guessing one email from many IPs', async () => {
    const testApp = await appWith({ TRUST_PROXY: 'loopback', LOGIN_MAX_FAILURES_PER_DAY: '4' });
    const { user, password } = await createUser(testApp);
    for (let ip = 1; ip <= 4; ip += 1) {
      expect((await login(testApp, user.email, 'wrong', `203.0.113.${ip}`)).status).toBe(401);
    }
    expectTooManyRequests(await login(testApp, user.email, password, '203.0.113.99'));
  });

  it('LOGIN_MAX_ATTEMPTS_PER_IP stops password spraying over many emails', async () => {
    const testApp = await appWith({ TRUST_PROXY: 'loopback', LOGIN_MAX_ATTEMPTS_PER_IP: '3' });
    for (let index = 0; index < 3; index += 1) {
      const response = await login(
        testApp,
        `target${index}@example.com`,
        'Spring2026!',
        '198.51.100.7',
      );
      expect(response.status).toBe(401);
      expect(response.headers['ratelimit-remaining']).toBe(String(2 - index));
    }
    expectTooManyRequests(
      await login(testApp, 'target9@example.com', 'Spring2026!', '198.51.100.7'),
    );
    expect(
      (await login(testApp, 'target9@example.com', 'Spring2026!', '198.51.100.8')).status,
    ).toBe(401);
  });
});

describe('behind one proxy (TRUST_PROXY=1)', () => {
  it('counts the address the proxy saw, whatever the client wrote to the left of it', async () => {
    const testApp = await appWith({ TRUST_PROXY: '1', LOGIN_MAX_FAILURES: '3' });
    const { user, password } = await createUser(testApp);
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      const spoofed = `7.7.7.${attempt}, 10.0.0.200`;
      expect((await login(testApp, user.email, 'wrong', spoofed)).status).toBe(401);
    }
    expectTooManyRequests(await login(testApp, user.email, password, '7.7.7.99, 10.0.0.200'));
    expect((await login(testApp, user.email, password, '10.0.0.201')).status).toBe(200);
  });
});

describe('IPv6 clients', () => {
  it('are counted per /64, so rotating addresses inside one prefix gains nothing', async () => {
    const testApp = await appWith({ TRUST_PROXY: 'loopback', LOGIN_MAX_ATTEMPTS_PER_IP: '2' });
    await login(testApp, 'a@example.com', 'password-1', '2001:db8:1:2::1');
    await login(testApp, 'b@example.com', 'password-1', '2001:db8:1:2:ffff::9');
    expectTooManyRequests(
      await login(testApp, 'c@example.com', 'password-1', '2001:db8:1:2::abcd'),
    );
    const otherPrefix = await login(testApp, 'c@example.com', 'password-1', '2001:db8:1:3::1');
    expect(otherPrefix.status).toBe(401);
  });
});

describe('client IP without TRUST_PROXY', () => {
  it('a forged X-Forwarded-For changes nothing', async () => {
    const testApp = await appWith({ LOGIN_MAX_ATTEMPTS_PER_IP: '2' });
    expect((await login(testApp, 'a@example.com', 'password-1', '10.0.0.1')).status).toBe(401);
    expect((await login(testApp, 'b@example.com', 'password-1', '10.0.0.2')).status).toBe(401);
    expectTooManyRequests(await login(testApp, 'c@example.com', 'password-1', '10.0.0.3'));
  });
});

describe('password change', () => {
  it('counts wrong current passwords like failed logins and locks out guessing', async () => {
    const testApp = await appWith({ LOGIN_MAX_FAILURES: '3' });
    const { user, password, token } = await createUser(testApp);
    const change = (currentPassword: string) =>
      request(testApp.app)
        .put('/api/profile/password')
        .set('Authorization', `Bearer ${token}`)
        .send({ currentPassword, newPassword: 'brand new password' });
    for (let attempt = 0; attempt < 3; attempt += 1) {
      expect((await change(`guess-${attempt}`)).status).toBe(401);
    }
    expectTooManyRequests(await change(password));
    const stored = await testApp.context.core.users.findById(user._id).select('+password');
    expect(await stored?.comparePassword(password)).toBe(true);
  });
});

describe('register and refresh limits per IP', () => {
  it('REGISTER_MAX_PER_HOUR refuses further sign-ups, writing nothing', async () => {
    const testApp = await appWith({ REGISTER_MAX_PER_HOUR: '2' });
    const register = (index: number) =>
      request(testApp.app)
        .post('/api/auth/register')
        .send({ name: 'R', email: `reg-limit${index}@example.com`, password: 'password-123' });
    expect((await register(1)).status).toBe(201);
    expect((await register(2)).status).toBe(201);
    expectTooManyRequests(await register(3));
    expect(await testApp.context.core.users.exists({ email: 'reg-limit3@example.com' })).toBeNull();
  });

  it('REFRESH_MAX_PER_MINUTE refuses further refreshes', async () => {
    const testApp = await appWith({ REFRESH_MAX_PER_MINUTE: '2' });
    const { refreshToken } = await createUser(testApp);
    const first = await request(testApp.app).post('/api/auth/refresh').send({ refreshToken });
    expect(first.status).toBe(200);
    await request(testApp.app)
      .post('/api/auth/refresh')
      .send({ refreshToken: first.body.refreshToken })
      .expect(200);
    expectTooManyRequests(
      await request(testApp.app).post('/api/auth/refresh').send({ refreshToken: 'x' }),
    );
  });
});

describe('when the rate-limit store cannot be reached', () => {
  it('login fails closed with 503 and never checks the password', async () => {
    const testApp = await appWith({});
    const { user, password } = await createUser(testApp);
    const store = testApp.context.limiters.loginPerIp.store;
    const consume = jest.spyOn(store, 'consume').mockRejectedValue(new Error('connection lost'));
    const compare = jest.spyOn(testApp.context.core.hasher, 'compare');
    try {
      const response = await login(testApp, user.email, password);
      expect(response.status).toBe(503);
      expect(response.body).toEqual({
        error: 'Service temporarily unavailable',
        code: 'service_unavailable',
      });
      expect(compare).not.toHaveBeenCalled();
    } finally {
      consume.mockRestore();
      compare.mockRestore();
    }
  });
});
