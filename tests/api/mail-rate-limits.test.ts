import type { Response } from 'supertest';
import { appsClosedAfterAll, bearer, createUser, request, type TestApp } from '../helpers/test-app';

const appWith = appsClosedAfterAll('mail_limits', { TRUST_PROXY: 'loopback' });

function forgot(testApp: TestApp, email: string, ip = '203.0.113.1') {
  return request(testApp.app)
    .post('/api/auth/password/forgot')
    .set('X-Forwarded-For', ip)
    .send({ email });
}

/** A 429 like every other limit's, and what it says, without what varies (date, request id). */
function tooManyRequests(response: Response) {
  expect(response.status).toBe(429);
  expect(response.body).toEqual({
    error: 'Too many requests, try again later',
    code: 'too_many_requests',
  });
  expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
  expect(response.headers['ratelimit-remaining']).toBe('0');
  const { date: _date, 'x-request-id': _id, etag: _etag, ...headers } = response.headers;
  return headers;
}

describe('forgot password limits', () => {
  it('refuses the email past PASSWORD_RESET_MAX_PER_HOUR, alike for known and unknown', async () => {
    const testApp = await appWith({ PASSWORD_RESET_MAX_PER_HOUR: '2' });
    const { user } = await createUser(testApp);
    for (const email of [user.email, 'unknown@example.com']) {
      // From different addresses: it is the email that is counted.
      await forgot(testApp, email, '198.51.100.1').expect(202);
      await forgot(testApp, email, '198.51.100.2').expect(202);
    }
    const known = tooManyRequests(await forgot(testApp, user.email, '198.51.100.3'));
    const unknown = tooManyRequests(await forgot(testApp, 'unknown@example.com', '198.51.100.3'));
    expect(unknown).toEqual(known);
    expect(known['ratelimit-policy']).toBe('2;w=3600');
    // Two mails at most for the known address; one for none.
    const outbox = testApp.connection.collection('mail_outbox');
    expect(await outbox.countDocuments({ to: user.email })).toBe(2);
    expect(await outbox.countDocuments({ to: 'unknown@example.com', status: 'pending' })).toBe(0);
  });

  it('refuses the client address past MAIL_MAX_PER_IP_PER_HOUR, for any email', async () => {
    const testApp = await appWith({ MAIL_MAX_PER_IP_PER_HOUR: '2' });
    await forgot(testApp, 'a@example.com', '192.0.2.9').expect(202);
    await forgot(testApp, 'b@example.com', '192.0.2.9').expect(202);
    const refused = tooManyRequests(await forgot(testApp, 'c@example.com', '192.0.2.9'));
    expect(refused['ratelimit-policy']).toBe('2;w=3600');
    await forgot(testApp, 'c@example.com', '192.0.2.10').expect(202);
  });
});

describe('resend and email change limits', () => {
  it('limits verification mails per account like the forgot endpoint', async () => {
    const testApp = await appWith({ PASSWORD_RESET_MAX_PER_HOUR: '1' });
    const { token } = await createUser(testApp);
    const resend = () =>
      request(testApp.app)
        .post('/api/auth/verify-email/resend')
        .set(bearer(token))
        .set('X-Forwarded-For', '203.0.113.50');
    await resend().expect(202);
    tooManyRequests(await resend());
  });

  it('limits email change mails per account', async () => {
    const testApp = await appWith({ PASSWORD_RESET_MAX_PER_HOUR: '1' });
    const { token, password } = await createUser(testApp);
    const change = (newEmail: string) =>
      request(testApp.app)
        .put('/api/profile/email')
        .set(bearer(token))
        .set('X-Forwarded-For', '203.0.113.60')
        .send({ newEmail, password });
    await change('first-new@example.com').expect(202);
    tooManyRequests(await change('second-new@example.com'));
    const outbox = testApp.connection.collection('mail_outbox');
    expect(await outbox.countDocuments({ to: 'second-new@example.com' })).toBe(0);
  });
});
