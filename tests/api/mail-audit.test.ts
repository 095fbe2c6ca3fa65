import { bearer, createUser, request, type TestApp } from '../helpers/test-app';
import { startMailingTestApp, type MailingTestApp } from '../helpers/mailing-test-app';
import { recipientOf, tokenIn, type TestSmtp } from '../helpers/test-smtp';

interface LogLine {
  msg?: string;
  audit?: { event: string; [field: string]: string };
}

let smtp: TestSmtp;
let testApp: TestApp;
const lines: string[] = [];

let mailing: MailingTestApp;

beforeAll(async () => {
  mailing = await startMailingTestApp(
    'mail_audit',
    { PASSWORD_RESET_MAX_PER_HOUR: '100' },
    { logLines: lines },
  );
  ({ smtp, testApp } = mailing);
});
afterAll(() => mailing.close());

const audits = () =>
  lines.flatMap((line) => {
    const parsed = JSON.parse(line) as LogLine;
    return parsed.audit ? [parsed.audit] : [];
  });

describe('audit events of the mail flows', () => {
  it('records every step, and no token reaches the log', async () => {
    const agent = request(testApp.app);
    const registered = await agent
      .post('/api/auth/register')
      .send({ name: 'Audit Mail', email: 'audit-mail@example.com', password: 'first password' })
      .expect(201);
    const verification = await smtp.waitForMail(
      (mail) => recipientOf(mail) === 'audit-mail@example.com',
    );
    const verifyToken = tokenIn(verification, '/verify-email');
    await agent.post('/api/auth/verify-email').send({ token: verifyToken }).expect(200);

    const before = smtp.mails.length;
    await agent
      .post('/api/auth/password/forgot')
      .send({ email: 'audit-mail@example.com' })
      .expect(202);
    await agent.post('/api/auth/password/forgot').send({ email: 'nobody@example.com' }).expect(202);
    const resetMail = await smtp.waitForMail(
      (mail) => mail.subject === 'Reset your keycard password',
      before,
    );
    const resetToken = tokenIn(resetMail, '/reset-password');
    await agent
      .post('/api/auth/password/reset')
      .send({ token: resetToken, newPassword: 'second password' })
      .expect(204);

    const login = await agent
      .post('/api/auth/login')
      .send({ email: 'audit-mail@example.com', password: 'second password' })
      .expect(200);
    const changeFrom = smtp.mails.length;
    await agent
      .put('/api/profile/email')
      .set(bearer(login.body.token))
      .send({ newEmail: 'audit-moved@example.com', password: 'second password' })
      .expect(202);
    const changeMail = await smtp.waitForMail(
      (mail) => recipientOf(mail) === 'audit-moved@example.com',
      changeFrom,
    );
    const changeToken = tokenIn(changeMail, '/verify-email');
    await agent.post('/api/auth/verify-email').send({ token: changeToken }).expect(200);
    await smtp.waitForMail(
      (mail) =>
        recipientOf(mail) === 'audit-mail@example.com' &&
        mail.subject === 'The email address of your keycard account was changed',
      changeFrom,
    );
    // Stopping lets the last delivery write its audit line.
    await testApp.context.mailSender.stop();

    const requestEvents = audits()
      .map((audit) => audit.event)
      .filter((event) => !event.startsWith('mail_'));
    expect(requestEvents).toEqual([
      'register',
      'email_verification_requested',
      'email_verified',
      'password_reset_requested',
      'password_reset_requested',
      'password_reset',
      'login_success',
      'email_change_requested',
      'email_changed',
    ]);
    const sent = audits().filter((audit) => audit.event === 'mail_sent');
    expect(sent.map((audit) => audit.template).sort()).toEqual([
      'email_change',
      'email_changed',
      'email_verification',
      'password_changed',
      'password_reset',
    ]);
    expect(sent.every((audit) => audit.via === 'smtp' && audit.mailId)).toBe(true);

    const text = lines.join('\n');
    for (const secret of [verifyToken, resetToken, changeToken, registered.body.token]) {
      expect(text).not.toContain(secret);
    }
    expect(text).not.toMatch(/token=/);
  });

  it('records a failed mail without its link', async () => {
    const { user } = await createUser(testApp);
    await request(testApp.app)
      .post('/api/auth/password/forgot')
      .send({ email: user.email })
      .expect(202);
    await testApp.connection
      .collection('mail_outbox')
      .updateOne({ to: user.email }, { $set: { createdAt: new Date(0) } });
    testApp.context.mailSender.start();
    const deadline = Date.now() + 10_000;
    while (!audits().some((audit) => audit.event === 'mail_failed') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    await testApp.context.mailSender.stop();
    const failed = audits().find((audit) => audit.event === 'mail_failed');
    expect(failed).toMatchObject({ template: 'password_reset', userId: user.id });
    expect(lines.join('\n')).not.toMatch(/token=/);
  });
});
