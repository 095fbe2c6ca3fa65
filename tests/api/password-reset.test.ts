import type { ParsedMail } from 'mailparser';
import { FORGOT_MESSAGE } from '../../src/http/routes/auth';
import { bearer, createTestApp, createUser, request, type TestApp } from '../helpers/test-app';
import { startMailingTestApp, type MailingTestApp } from '../helpers/mailing-test-app';
import { recipientOf, tokenIn, type TestSmtp } from '../helpers/test-smtp';

const PASSWORD_CHANGED = 'Your keycard password was changed';

let smtp: TestSmtp;
let testApp: TestApp;
let mailing: MailingTestApp;

beforeAll(async () => {
  mailing = await startMailingTestApp('password_reset', {
    APP_URL: 'https://app.example.com/account',
    PASSWORD_RESET_MAX_PER_HOUR: '1000',
    MAIL_MAX_PER_IP_PER_HOUR: '1000000',
  });
  ({ smtp, testApp } = mailing);
});
afterAll(() => mailing.close());

const forgot = (email: string) =>
  request(testApp.app).post('/api/auth/password/forgot').send({ email });
const reset = (token: string, newPassword = 'a brand new password') =>
  request(testApp.app).post('/api/auth/password/reset').send({ token, newPassword });
const login = (email: string, password: string) =>
  request(testApp.app).post('/api/auth/login').send({ email, password });

/** Requests a reset for `email` and returns the mail that arrives for it. */
async function resetMailFor(email: string): Promise<ParsedMail> {
  const before = smtp.mails.length;
  await forgot(email).expect(202);
  return smtp.waitForMail(
    (mail) => recipientOf(mail) === email && mail.subject === 'Reset your keycard password',
    before,
  );
}

/** The mails that arrived for an address, after giving the sender time to send any more. */
async function mailsTo(email: string): Promise<ParsedMail[]> {
  // A marker mail through the same outbox: once it arrives, everything queued before it has.
  const marker = await createUser(testApp);
  await resetMailFor(marker.user.email);
  return smtp.mails.filter((mail) => recipientOf(mail) === email);
}

describe('POST /api/auth/password/forgot', () => {
  it('answers 202 and mails a reset link with a text and an HTML part', async () => {
    const { user } = await createUser(testApp, { name: 'Ada Lovelace' });
    const mail = await resetMailFor(user.email);

    expect(mail.subject).toBe('Reset your keycard password');
    const token = tokenIn(mail, '/reset-password');
    expect(Buffer.from(token, 'base64url').length).toBeGreaterThanOrEqual(16);
    const linkLine = `https://app.example.com/account/reset-password?token=${token}`;
    // The whole link on a line of its own, so no mail client breaks it.
    expect((mail.text ?? '').split('\n')).toContain(linkLine);
    expect(mail.html).toContain(`href="${linkLine}"`);
    expect(mail.text).toContain('Hello Ada Lovelace');
  });

  it('gives the same status, body and headers whether or not the account exists', async () => {
    const { user } = await createUser(testApp);
    const known = await forgot(user.email);
    const unknown = await forgot('nobody-here@example.com');
    const shape = (response: typeof known) => {
      const { date: _date, 'x-request-id': _id, ...headers } = response.headers;
      return { status: response.status, body: response.body, headers };
    };
    expect(known.status).toBe(202);
    expect(known.body).toEqual({ message: FORGOT_MESSAGE });
    expect(shape(unknown)).toEqual({
      ...shape(known),
      headers: { ...shape(known).headers, 'ratelimit-remaining': expect.any(String) },
    });
  });

  it('mails nothing for an address without an account, and keeps no usable trace', async () => {
    await forgot('ghost@example.com').expect(202);
    expect(await mailsTo('ghost@example.com')).toEqual([]);
    const { accountTokens, outbox } = await collections();
    // The decoys that make the request do the same work: a token for no account, whose value
    // nobody ever saw, and a mail the sender never sends, both deleted by their TTL indexes.
    const decoyToken = await accountTokens.findOne({ email: 'ghost@example.com' });
    expect(await testApp.context.core.users.exists({ _id: decoyToken?.userId })).toBeNull();
    expect(await outbox.find({ to: 'ghost@example.com' }).toArray()).toEqual([
      expect.objectContaining({ status: 'decoy', deleteAt: expect.any(Date) }),
    ]);
  });

  it('stores the token only as a hash, and the link in the outbox only sealed', async () => {
    const { user } = await createUser(testApp);
    const token = tokenIn(await resetMailFor(user.email), '/reset-password');
    const { accountTokens, outbox } = await collections();
    const stored = await accountTokens.findOne({ userId: user._id });
    expect(stored).toMatchObject({ purpose: 'password_reset', usedAt: null });
    expect(JSON.stringify(stored)).not.toContain(token);
    const mails = await outbox.find({ userId: user._id }).toArray();
    expect(mails.length).toBeGreaterThan(0);
    expect(JSON.stringify(mails)).not.toContain(token);
    // Once sent, not even the sealed link stays.
    expect(mails.every((mail) => mail.status === 'sent' && mail.sealed === null)).toBe(true);
  });

  it.each([
    ['no email', {}],
    ['a malformed email', { email: 'not-an-email' }],
    ['an operator', { email: { $ne: null } }],
  ])('with %s responds 400 validation_error', async (_label, body) => {
    const response = await request(testApp.app).post('/api/auth/password/forgot').send(body);
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('validation_error');
  });
});

async function collections() {
  const db = testApp.connection;
  return { accountTokens: db.collection('account_tokens'), outbox: db.collection('mail_outbox') };
}

describe('POST /api/auth/password/reset', () => {
  it('sets the new password, ends every session and mails a notice without a token', async () => {
    const { user, password, token: accessToken, refreshToken } = await createUser(testApp);
    const other = await login(user.email, password);
    const token = tokenIn(await resetMailFor(user.email), '/reset-password');

    const before = smtp.mails.length;
    const response = await reset(token, 'a brand new password');
    expect(response.status).toBe(204);

    expect((await login(user.email, password)).status).toBe(401);
    expect((await login(user.email, 'a brand new password')).status).toBe(200);
    for (const access of [accessToken, other.body.token as string]) {
      const profile = await request(testApp.app).get('/api/profile').set(bearer(access));
      expect(profile.body.code).toBe('session_revoked');
    }
    const refreshed = await request(testApp.app).post('/api/auth/refresh').send({ refreshToken });
    expect(refreshed.status).toBe(401);

    const notice = await smtp.waitForMail(
      (mail) => recipientOf(mail) === user.email && mail.subject === PASSWORD_CHANGED,
      before,
    );
    expect(notice.text).not.toMatch(/token=/);
    expect(notice.html).not.toMatch(/token=/);
  });

  it('marks the address verified: following the link proved the mailbox', async () => {
    const { user } = await createUser(testApp);
    await reset(tokenIn(await resetMailFor(user.email), '/reset-password')).expect(204);
    const stored = await testApp.context.core.users.findById(user._id).lean();
    expect(stored?.emailVerified).toBe(true);
  });

  it('works once: a used token responds 400 invalid_reset_token', async () => {
    const { user } = await createUser(testApp);
    const token = tokenIn(await resetMailFor(user.email), '/reset-password');
    await reset(token).expect(204);
    const again = await reset(token, 'yet another password');
    expect(again.status).toBe(400);
    expect(again.body).toEqual({
      error: 'This password reset link is invalid, used, replaced or expired',
      code: 'invalid_reset_token',
    });
    expect((await login(user.email, 'a brand new password')).status).toBe(200);
  });

  it('refuses a token replaced by a newer one, and takes the newer one', async () => {
    const { user, password } = await createUser(testApp);
    const older = tokenIn(await resetMailFor(user.email), '/reset-password');
    const newer = tokenIn(await resetMailFor(user.email), '/reset-password');
    expect((await reset(older)).body.code).toBe('invalid_reset_token');
    expect((await login(user.email, password)).status).toBe(200);
    await reset(newer).expect(204);
  });

  it('refuses an expired token', async () => {
    const { user, password } = await createUser(testApp);
    const token = tokenIn(await resetMailFor(user.email), '/reset-password');
    const { accountTokens } = await collections();
    await accountTokens.updateOne(
      { userId: user._id },
      { $set: { expiresAt: new Date(Date.now() - 1000) } },
    );
    expect((await reset(token)).body.code).toBe('invalid_reset_token');
    expect((await login(user.email, password)).status).toBe(200);
  });

  it('refuses an unknown token', async () => {
    const response = await reset('A'.repeat(43));
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('invalid_reset_token');
  });

  it('lets exactly one of two parallel resets with one token succeed', async () => {
    const { user } = await createUser(testApp);
    const token = tokenIn(await resetMailFor(user.email), '/reset-password');
    const results = await Promise.all([
      reset(token, 'first parallel password'),
      reset(token, 'second parallel password'),
    ]);
    expect(results.map((result) => result.status).sort()).toEqual([204, 400]);
    const winner = results[0]?.status === 204 ? 'first' : 'second';
    expect((await login(user.email, `${winner} parallel password`)).status).toBe(200);
  });

  it('clears the login lockout of the email', async () => {
    const locking = await createTestApp(
      'password_reset_lockout',
      { LOGIN_MAX_FAILURES: '2', PASSWORD_RESET_MAX_PER_HOUR: '100' },
      { shareDatabaseWith: testApp },
    );
    try {
      const { user } = await createUser(locking);
      const attempt = (password: string) =>
        request(locking.app).post('/api/auth/login').send({ email: user.email, password });
      await attempt('wrong one');
      await attempt('wrong two');
      expect((await attempt('still wrong')).status).toBe(429);

      const token = tokenIn(await resetMailFor(user.email), '/reset-password');
      await reset(token, 'unlocked password').expect(204);
      expect((await attempt('unlocked password')).status).toBe(200);
    } finally {
      await locking.close();
    }
  });

  it('with a new password that breaks the rules responds 400 and keeps the token', async () => {
    const { user } = await createUser(testApp);
    const token = tokenIn(await resetMailFor(user.email), '/reset-password');
    const response = await reset(token, 'short');
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('validation_error');
    expect(response.body.details).toEqual([
      { path: 'newPassword', message: 'must be at least 8 characters' },
    ]);
    await reset(token).expect(204);
  });

  it.each([
    ['no token', { newPassword: 'a good password' }, 'token'],
    ['a token that is not a string', { token: 42, newPassword: 'a good password' }, 'token'],
    ['an operator as token', { token: { $gt: '' }, newPassword: 'a good password' }, 'token'],
    ['a new password over 72 bytes', { token: 'x', newPassword: 'é'.repeat(37) }, 'newPassword'],
  ])('with %s responds 400 validation_error', async (_label, body, field) => {
    const response = await request(testApp.app).post('/api/auth/password/reset').send(body);
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('validation_error');
    expect(response.body.details.map((detail: { path: string }) => detail.path)).toContain(field);
  });
});

describe('PUT /api/profile/password', () => {
  it('mails the password-changed notice, without a token', async () => {
    const { user, password, token } = await createUser(testApp);
    const before = smtp.mails.length;
    await request(testApp.app)
      .put('/api/profile/password')
      .set(bearer(token))
      .send({ currentPassword: password, newPassword: 'changed by hand' })
      .expect(204);
    const notice = await smtp.waitForMail(
      (mail) => recipientOf(mail) === user.email && mail.subject === PASSWORD_CHANGED,
      before,
    );
    expect(notice.text).not.toMatch(/token=/);
  });
});
