import { createTestApp, createUser, request, type TestApp } from '../../helpers/test-app';
import { recipientOf, startTestSmtp, type TestSmtp } from '../../helpers/test-smtp';

const apps: TestApp[] = [];
let smtp: TestSmtp;

beforeAll(async () => {
  smtp = await startTestSmtp({ auth: { user: 'keycard', pass: 's3cret pass' } });
});
afterAll(async () => {
  for (const testApp of apps.reverse()) await testApp.close();
  await smtp.stop();
});

async function appOnOutbox(shareWith?: TestApp, logLines?: string[]): Promise<TestApp> {
  const testApp = await createTestApp(
    'outbox',
    { SMTP_URL: smtp.url, PASSWORD_RESET_MAX_PER_HOUR: '1000', MAIL_MAX_PER_IP_PER_HOUR: '100000' },
    { shareDatabaseWith: shareWith, logLines },
  );
  apps.push(testApp);
  return testApp;
}

const outboxOf = (testApp: TestApp) => testApp.connection.collection('mail_outbox');

async function waitFor(done: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** How many arrived per address, for the addresses given. */
function arrivals(addresses: string[]): number[] {
  return addresses.map(
    (address) => smtp.mails.filter((mail) => recipientOf(mail) === address).length,
  );
}

describe('the mail outbox', () => {
  it('logs in to the SMTP server with the credentials of SMTP_URL', async () => {
    const testApp = await appOnOutbox();
    testApp.context.mailSender.start();
    const { user } = await createUser(testApp);
    await request(testApp.app)
      .post('/api/auth/password/forgot')
      .send({ email: user.email })
      .expect(202);
    await smtp.waitForMail((mail) => recipientOf(mail) === user.email);
    await testApp.context.mailSender.stop();
  });

  it('delays mail while SMTP is down, then sends every one exactly once', async () => {
    const testApp = await appOnOutbox();
    testApp.context.mailSender.start();
    const users = await Promise.all([1, 2, 3, 4].map(() => createUser(testApp)));
    const addresses = users.map(({ user }) => user.email);

    await smtp.stop();
    for (const email of addresses) {
      // The request answers at once: it never waits for SMTP.
      await request(testApp.app).post('/api/auth/password/forgot').send({ email }).expect(202);
    }
    const outbox = outboxOf(testApp);
    // Every one has been tried and refused, and waits for its retry.
    await waitFor(
      async () =>
        (await outbox.countDocuments({ to: { $in: addresses }, attempts: { $gte: 1 } })) === 4,
      'a failed attempt for each mail',
    );
    expect(arrivals(addresses)).toEqual([0, 0, 0, 0]);
    const waiting = await outbox.find({ to: { $in: addresses } }).toArray();
    expect(waiting.every((mail) => mail.status === 'pending' && mail.lastError)).toBe(true);

    await smtp.start();
    await waitFor(
      async () => (await outbox.countDocuments({ to: { $in: addresses }, status: 'sent' })) === 4,
      'every mail sent',
    );
    expect(arrivals(addresses)).toEqual([1, 1, 1, 1]);
    await testApp.context.mailSender.stop();
  });

  it('shares the outbox between instances: each mail is sent once, not once per instance', async () => {
    const first = await appOnOutbox();
    const second = await appOnOutbox(first);
    const third = await appOnOutbox(first);
    const users = await Promise.all(Array.from({ length: 12 }, () => createUser(first)));
    const addresses = users.map(({ user }) => user.email);
    for (const email of addresses) {
      await request(first.app).post('/api/auth/password/forgot').send({ email }).expect(202);
    }
    for (const testApp of [first, second, third]) testApp.context.mailSender.start();
    await waitFor(
      async () =>
        (await outboxOf(first).countDocuments({ to: { $in: addresses }, status: 'sent' })) === 12,
      'every mail sent',
    );
    await Promise.all([first, second, third].map((testApp) => testApp.context.mailSender.stop()));
    expect(arrivals(addresses)).toEqual(addresses.map(() => 1));
  });

  it('sends after the next start what was still waiting when the process stopped', async () => {
    const before = await appOnOutbox();
    const { user } = await createUser(before);
    // Queued while no sender runs, as when the process stops right after answering.
    await request(before.app)
      .post('/api/auth/password/forgot')
      .send({ email: user.email })
      .expect(202);
    await before.context.mailSender.stop();
    expect(arrivals([user.email])).toEqual([0]);

    const after = await appOnOutbox(before);
    after.context.mailSender.start();
    await smtp.waitForMail((mail) => recipientOf(mail) === user.email);
    await after.context.mailSender.stop();
  });

  it('marks a mail older than MAIL_MAX_AGE failed, logs it and never sends it', async () => {
    const logLines: string[] = [];
    const testApp = await appOnOutbox(undefined, logLines);
    const { user } = await createUser(testApp);
    await request(testApp.app)
      .post('/api/auth/password/forgot')
      .send({ email: user.email })
      .expect(202);
    const outbox = outboxOf(testApp);
    await outbox.updateOne(
      { to: user.email },
      { $set: { createdAt: new Date(Date.now() - 25 * 3600 * 1000) } },
    );
    testApp.context.mailSender.start();
    await waitFor(
      async () => (await outbox.countDocuments({ to: user.email, status: 'failed' })) === 1,
      'the mail marked failed',
    );
    await testApp.context.mailSender.stop();
    const failed = await outbox.findOne({ to: user.email });
    expect(failed).toMatchObject({ status: 'failed', sealed: null });
    expect(failed?.deleteAt).toBeInstanceOf(Date);
    expect(arrivals([user.email])).toEqual([0]);
    const lines = logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'mail failed', level: 50 }));
    expect(lines).toContainEqual(
      expect.objectContaining({ audit: expect.objectContaining({ event: 'mail_failed' }) }),
    );
  });

  it('leaves a mail leased by a live sender alone', async () => {
    const testApp = await appOnOutbox();
    const { user } = await createUser(testApp);
    await request(testApp.app)
      .post('/api/auth/password/forgot')
      .send({ email: user.email })
      .expect(202);
    const outbox = outboxOf(testApp);
    // Another instance holds it, sending it right now.
    await outbox.updateOne(
      { to: user.email },
      { $set: { leaseUntil: new Date(Date.now() + 60_000), leaseOwner: 'elsewhere' } },
    );
    testApp.context.mailSender.start();
    // A mail queued after it is sent, so the sender has had its chance at the leased one.
    const { user: later } = await createUser(testApp);
    await request(testApp.app)
      .post('/api/auth/password/forgot')
      .send({ email: later.email })
      .expect(202);
    await smtp.waitForMail((mail) => recipientOf(mail) === later.email);
    await testApp.context.mailSender.stop();
    expect(arrivals([user.email])).toEqual([0]);
    expect(await outbox.findOne({ to: user.email })).toMatchObject({
      status: 'pending',
      leaseOwner: 'elsewhere',
      attempts: 0,
    });
  });

  it('has its indexes, the TTL one included, before the first request', async () => {
    const testApp = await appOnOutbox();
    const indexes = await outboxOf(testApp).indexes();
    expect(indexes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ key: { status: 1, nextAttemptAt: 1 } }),
        expect.objectContaining({ key: { deleteAt: 1 }, expireAfterSeconds: 0 }),
      ]),
    );
  });
});
