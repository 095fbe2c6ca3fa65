import { bearer, createTestApp, createUser, request, type TestApp } from '../helpers/test-app';
import { startMailingTestApp, type MailingTestApp } from '../helpers/mailing-test-app';
import { recipientOf, tokenIn, type TestSmtp } from '../helpers/test-smtp';

const CHANGE_SUBJECT = 'Confirm your new email address for keycard';
const CHANGED_SUBJECT = 'The email address of your keycard account was changed';

let smtp: TestSmtp;
let testApp: TestApp;
let mailing: MailingTestApp;

beforeAll(async () => {
  mailing = await startMailingTestApp('email_change', {
    APP_URL: 'https://app.example.com',
    PASSWORD_RESET_MAX_PER_HOUR: '1000',
  });
  ({ smtp, testApp } = mailing);
});
afterAll(() => mailing.close());

function requestChange(accessToken: string, body: Record<string, unknown>) {
  return request(testApp.app).put('/api/profile/email').set(bearer(accessToken)).send(body);
}

async function changeToken(newEmail: string, from: number): Promise<string> {
  const mail = await smtp.waitForMail(
    (candidate) => recipientOf(candidate) === newEmail && candidate.subject === CHANGE_SUBJECT,
    from,
  );
  return tokenIn(mail, '/verify-email');
}

const confirm = (token: string) =>
  request(testApp.app).post('/api/auth/verify-email').send({ token });

let counter = 0;
const freshAddress = () => `moved${(counter += 1)}@example.com`;

describe('PUT /api/profile/email', () => {
  it('mails a confirmation link to the new address and changes nothing yet', async () => {
    const { user, password, token } = await createUser(testApp, { name: 'Alan Turing' });
    const newEmail = freshAddress();
    const before = smtp.mails.length;
    const response = await requestChange(token, { newEmail, password });
    expect(response.status).toBe(202);
    expect(response.body).toEqual({ message: expect.any(String) });

    const link = await changeToken(newEmail, before);
    const mail = smtp.mails.find((candidate) => recipientOf(candidate) === newEmail);
    expect((mail?.text ?? '').split('\n')).toContain(
      `https://app.example.com/verify-email?token=${link}`,
    );
    expect(mail?.text).toContain(newEmail);
    const stored = await testApp.context.core.users.findById(user._id).lean();
    expect(stored?.email).toBe(user.email);
  });

  it('on confirmation changes the email, marks it verified, notifies the old address and ends the other sessions', async () => {
    const { user, password, token } = await createUser(testApp, { name: 'Alan Turing' });
    const other = await request(testApp.app)
      .post('/api/auth/login')
      .send({ email: user.email, password });
    const newEmail = freshAddress();
    const before = smtp.mails.length;
    await requestChange(token, { newEmail, password }).expect(202);

    const response = await confirm(await changeToken(newEmail, before));
    expect(response.status).toBe(200);
    expect(response.body.user).toMatchObject({ email: newEmail, emailVerified: true });

    const notice = await smtp.waitForMail(
      (mail) => recipientOf(mail) === user.email && mail.subject === CHANGED_SUBJECT,
      before,
    );
    expect(notice.text).toContain(newEmail);
    expect(notice.text).not.toMatch(/token=/);

    // The session that asked goes on; every other one is over.
    await request(testApp.app).get('/api/profile').set(bearer(token)).expect(200);
    const revoked = await request(testApp.app).get('/api/profile').set(bearer(other.body.token));
    expect(revoked.body.code).toBe('session_revoked');
    const login = (email: string) =>
      request(testApp.app).post('/api/auth/login').send({ email, password });
    expect((await login(user.email)).status).toBe(401);
    expect((await login(newEmail)).status).toBe(200);
  });

  it('with a wrong password responds 401 invalid_credentials, counted like a failed login', async () => {
    const strict = await createTestApp(
      'email_change_throttle',
      { LOGIN_MAX_FAILURES: '2' },
      { shareDatabaseWith: testApp },
    );
    try {
      const { password, token } = await createUser(strict);
      const attempt = (candidate: string) =>
        request(strict.app)
          .put('/api/profile/email')
          .set(bearer(token))
          .send({ newEmail: freshAddress(), password: candidate });
      const wrong = await attempt('not my password');
      expect(wrong.status).toBe(401);
      expect(wrong.body).toEqual({
        error: 'Invalid email or password',
        code: 'invalid_credentials',
      });
      await attempt('still not it');
      expect((await attempt(password)).status).toBe(429);
    } finally {
      await strict.close();
    }
  });

  it('with an address already registered responds 409 email_taken', async () => {
    const { password, token } = await createUser(testApp);
    const other = await createUser(testApp);
    const response = await requestChange(token, {
      newEmail: other.user.email.toUpperCase(),
      password,
    });
    expect(response.status).toBe(409);
    expect(response.body.code).toBe('email_taken');
  });

  it('responds 409 email_taken on confirmation when the address was taken in the meantime, changing nothing', async () => {
    const { user, password, token } = await createUser(testApp);
    const newEmail = freshAddress();
    const before = smtp.mails.length;
    await requestChange(token, { newEmail, password }).expect(202);
    const link = await changeToken(newEmail, before);
    const squatter = await createUser(testApp, { email: newEmail });

    const response = await confirm(link);
    expect(response.status).toBe(409);
    expect(response.body.code).toBe('email_taken');
    const stored = await testApp.context.core.users.findById(user._id).lean();
    expect(stored).toMatchObject({ email: user.email });
    await request(testApp.app).get('/api/profile').set(bearer(squatter.token)).expect(200);

    // Nothing changed, the link included: once the address is free again, it still works.
    await testApp.context.core.users.deleteOne({ _id: squatter.user._id });
    expect((await confirm(link)).body.user).toMatchObject({ email: newEmail });
  });

  it('is voided by a password reset', async () => {
    const { user, password, token } = await createUser(testApp);
    const newEmail = freshAddress();
    const before = smtp.mails.length;
    await requestChange(token, { newEmail, password }).expect(202);
    const link = await changeToken(newEmail, before);
    await request(testApp.app)
      .post('/api/auth/password/forgot')
      .send({ email: user.email })
      .expect(202);
    const resetMail = await smtp.waitForMail(
      (mail) => recipientOf(mail) === user.email && mail.subject === 'Reset your keycard password',
      before,
    );
    await request(testApp.app)
      .post('/api/auth/password/reset')
      .send({ token: tokenIn(resetMail, '/reset-password'), newPassword: 'the owner is back' })
      .expect(204);
    expect((await confirm(link)).body.code).toBe('invalid_verification_token');
  });

  it.each([
    ['no new email', { password: 'x' }, 'newEmail'],
    ['a malformed new email', { newEmail: 'nope', password: 'x' }, 'newEmail'],
    ['no password', { newEmail: 'fine@example.com' }, 'password'],
    ['an operator as password', { newEmail: 'fine@example.com', password: { $ne: 1 } }, 'password'],
  ])('with %s responds 400 validation_error', async (_label, body, field) => {
    const { token } = await createUser(testApp);
    const response = await requestChange(token, body);
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('validation_error');
    expect(response.body.details.map((detail: { path: string }) => detail.path)).toContain(field);
  });

  it('with the current address responds 400 validation_error', async () => {
    const { user, password, token } = await createUser(testApp);
    const response = await requestChange(token, { newEmail: user.email, password });
    expect(response.status).toBe(400);
    expect(response.body.details).toEqual([
      { path: 'newEmail', message: 'is already the account email' },
    ]);
  });

  it('without a token responds 401 missing_token', async () => {
    const response = await request(testApp.app)
      .put('/api/profile/email')
      .send({ newEmail: 'x@example.com', password: 'x' });
    expect(response.status).toBe(401);
  });
});
