import { ensureFirstAdmin } from '../../src/core/ensure-admin';
import { bearer, createTestApp, createUser, request, type TestApp } from '../helpers/test-app';
import { startMailingTestApp, type MailingTestApp } from '../helpers/mailing-test-app';
import { recipientOf, tokenIn, type TestSmtp } from '../helpers/test-smtp';

const CONFIRM_SUBJECT = 'Confirm your email address for keycard';

let smtp: TestSmtp;
let testApp: TestApp;
let mailing: MailingTestApp;

beforeAll(async () => {
  mailing = await startMailingTestApp('email_verification', {
    APP_URL: 'https://app.example.com',
    PASSWORD_RESET_MAX_PER_HOUR: '1000',
  });
  ({ smtp, testApp } = mailing);
});
afterAll(() => mailing.close());

let registered = 0;

async function register(app: TestApp = testApp) {
  registered += 1;
  const email = `verify${registered}@example.com`;
  const password = 'a fine password';
  const before = smtp.mails.length;
  const response = await request(app.app)
    .post('/api/auth/register')
    .send({ name: 'Grace Hopper', email, password });
  expect(response.status).toBe(201);
  return { email, password, response, before };
}

async function verificationToken(email: string, from = 0): Promise<string> {
  const mail = await smtp.waitForMail(
    (candidate) => recipientOf(candidate) === email && candidate.subject === CONFIRM_SUBJECT,
    from,
  );
  return tokenIn(mail, '/verify-email');
}

const verify = (token: unknown) =>
  request(testApp.app).post('/api/auth/verify-email').send({ token });

describe('registration', () => {
  it('answers with emailVerified false and mails a verification link', async () => {
    const { email, response, before } = await register();
    expect(response.body.user).toMatchObject({ email, emailVerified: false });
    const mail = await smtp.waitForMail((candidate) => recipientOf(candidate) === email, before);
    expect(mail.subject).toBe(CONFIRM_SUBJECT);
    const token = tokenIn(mail, '/verify-email');
    expect((mail.text ?? '').split('\n')).toContain(
      `https://app.example.com/verify-email?token=${token}`,
    );
    expect(mail.html).toContain(`https://app.example.com/verify-email?token=${token}`);
  });

  it('leaves nothing behind when the mail cannot be queued', async () => {
    const outbox = testApp.context.core.outbox;
    const failing = jest.spyOn(outbox, 'enqueue').mockRejectedValue(new Error('outbox down'));
    try {
      const response = await request(testApp.app)
        .post('/api/auth/register')
        .send({ name: 'Nobody', email: 'half@example.com', password: 'a fine password' });
      expect(response.status).toBe(500);
      expect(response.body).toEqual({ error: 'Internal Server Error', code: 'internal_error' });
    } finally {
      failing.mockRestore();
    }
    expect(await testApp.context.core.users.countDocuments({ email: 'half@example.com' })).toBe(0);
    const tokens = testApp.connection.collection('account_tokens');
    expect(await tokens.countDocuments({ email: 'half@example.com' })).toBe(0);
  });
});

describe('POST /api/auth/verify-email', () => {
  it('confirms the address and answers the user with emailVerified true', async () => {
    const { email, before } = await register();
    const response = await verify(await verificationToken(email, before));
    expect(response.status).toBe(200);
    expect(response.body.user).toMatchObject({ email, emailVerified: true });
    const stored = await testApp.context.core.users.findOne({ email }).lean();
    expect(stored?.emailVerified).toBe(true);
  });

  it('works once: a used token responds 400 invalid_verification_token', async () => {
    const { email, before } = await register();
    const token = await verificationToken(email, before);
    await verify(token).expect(200);
    const again = await verify(token);
    expect(again.status).toBe(400);
    expect(again.body).toEqual({
      error: 'This confirmation link is invalid, used or expired',
      code: 'invalid_verification_token',
    });
  });

  it('refuses an expired token and an unknown one', async () => {
    const { email, before } = await register();
    const token = await verificationToken(email, before);
    await testApp.connection
      .collection('account_tokens')
      .updateOne({ email, purpose: 'email_verification' }, { $set: { expiresAt: new Date(0) } });
    expect((await verify(token)).body.code).toBe('invalid_verification_token');
    expect((await verify('B'.repeat(43))).body.code).toBe('invalid_verification_token');
    const stored = await testApp.context.core.users.findOne({ email }).lean();
    expect(stored?.emailVerified).toBe(false);
  });

  it('does not accept a password reset token', async () => {
    const { email, before } = await register();
    await request(testApp.app).post('/api/auth/password/forgot').send({ email }).expect(202);
    const resetMail = await smtp.waitForMail(
      (mail) => recipientOf(mail) === email && mail.subject === 'Reset your keycard password',
      before,
    );
    expect((await verify(tokenIn(resetMail, '/reset-password'))).status).toBe(400);
  });

  it.each([
    ['no token', undefined],
    ['a number', 7],
    ['an operator', { $ne: null }],
    ['an empty string', ''],
    ['a string over 256 characters', 'x'.repeat(257)],
  ])('with %s responds 400 validation_error', async (_label, token) => {
    const response = await verify(token);
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('validation_error');
  });
});

describe('POST /api/auth/verify-email/resend', () => {
  it('mails a new link that replaces the first one', async () => {
    const { email, before, response } = await register();
    const first = await verificationToken(email, before);
    const resendFrom = smtp.mails.length;
    const resent = await request(testApp.app)
      .post('/api/auth/verify-email/resend')
      .set(bearer(response.body.token));
    expect(resent.status).toBe(202);
    expect(resent.body).toEqual({ message: expect.any(String) });
    const second = await verificationToken(email, resendFrom);
    expect(second).not.toBe(first);
    expect((await verify(first)).body.code).toBe('invalid_verification_token');
    await verify(second).expect(200);
  });

  it('responds 409 already_verified once the address is confirmed', async () => {
    const { email, before, response } = await register();
    await verify(await verificationToken(email, before)).expect(200);
    const resent = await request(testApp.app)
      .post('/api/auth/verify-email/resend')
      .set(bearer(response.body.token));
    expect(resent.status).toBe(409);
    expect(resent.body).toEqual({
      error: 'This email address is already confirmed',
      code: 'already_verified',
    });
  });

  it('without a token responds 401 missing_token', async () => {
    const response = await request(testApp.app).post('/api/auth/verify-email/resend');
    expect(response.status).toBe(401);
    expect(response.body.code).toBe('missing_token');
  });
});

describe('REQUIRE_EMAIL_VERIFICATION=true', () => {
  let strict: TestApp;
  beforeAll(async () => {
    strict = await createTestApp(
      'email_verification_required',
      { REQUIRE_EMAIL_VERIFICATION: 'true', SMTP_URL: smtp.url },
      { shareDatabaseWith: testApp },
    );
  });
  afterAll(() => strict.close());

  const login = (email: string, password: string) =>
    request(strict.app).post('/api/auth/login').send({ email, password });

  it('answers a correct password for an unverified account 403 email_not_verified, no tokens', async () => {
    const { user, password } = await createUser(strict);
    const response = await login(user.email, password);
    expect(response.status).toBe(403);
    expect(response.body).toEqual({
      error: 'Confirm your email address first: follow the link in the mail keycard sent',
      code: 'email_not_verified',
    });
    expect(response.headers['set-cookie']).toBeUndefined();
  });

  it('answers a wrong password for an unverified account the usual 401', async () => {
    const { user } = await createUser(strict);
    const response = await login(user.email, 'not the password');
    expect(response.status).toBe(401);
    expect(response.body.code).toBe('invalid_credentials');
  });

  it('lets the account in once the address is confirmed', async () => {
    const { email, password, before } = await register(strict);
    expect((await login(email, password)).status).toBe(403);
    await verify(await verificationToken(email, before)).expect(200);
    expect((await login(email, password)).status).toBe(200);
  });

  it('counts the first admin as verified', async () => {
    const seed = { email: 'first-admin@example.com', password: 'admin password', name: 'Admin' };
    await testApp.context.core.users.deleteMany({ role: 'admin' });
    await ensureFirstAdmin(strict.context.core, seed);
    const response = await login(seed.email, seed.password);
    expect(response.status).toBe(200);
    expect(response.body.user).toMatchObject({ role: 'admin', emailVerified: true });
  });

  it('counts an account promoted to first admin as verified', async () => {
    const { user } = await createUser(strict);
    await testApp.context.core.users.deleteMany({ role: 'admin' });
    await ensureFirstAdmin(strict.context.core, {
      email: user.email,
      password: 'promoted password',
      name: 'Promoted',
    });
    expect((await login(user.email, 'promoted password')).status).toBe(200);
  });
});
