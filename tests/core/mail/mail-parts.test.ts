import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { retryDelaySeconds } from '../../../src/core/mail/backoff';
import { createSealedBox } from '../../../src/core/mail/sealed-box';
import { describeDuration, loadMailTemplates } from '../../../src/core/mail/templates';
import { MAIL_TEMPLATES } from '../../../src/models/mail-outbox';
import { createTestApp, request } from '../../helpers/test-app';

describe('retryDelaySeconds', () => {
  it('waits 1 s, 2 s, 4 s … and never more than 5 minutes', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(retryDelaySeconds)).toEqual([
      1, 2, 4, 8, 16, 32, 64, 128, 256, 300,
    ]);
    expect(retryDelaySeconds(1000)).toBe(300);
  });
});

describe('the sealed box', () => {
  const secret = 'k'.repeat(40);

  it('opens what it sealed, and the sealed text does not contain the values', () => {
    const box = createSealedBox(secret);
    const sealed = box.seal({ link: 'https://app.example.com/reset-password?token=abc123' });
    expect(sealed).not.toContain('abc123');
    expect(box.open(sealed)).toEqual({
      link: 'https://app.example.com/reset-password?token=abc123',
    });
  });

  it('opens with a previous secret after a rotation, and not without it', () => {
    const sealed = createSealedBox(secret).seal({ link: 'x' });
    expect(createSealedBox('n'.repeat(40), [secret]).open(sealed)).toEqual({ link: 'x' });
    expect(createSealedBox('n'.repeat(40)).open(sealed)).toBeUndefined();
  });

  it('refuses a sealed text that was tampered with', () => {
    const box = createSealedBox(secret);
    const sealed = box.seal({ link: 'x' });
    const [version, iv, body, tag] = sealed.split('.');
    const flipped = Buffer.from(body as string, 'base64url');
    flipped[0] = (flipped[0] as number) ^ 1;
    expect(box.open([version, iv, flipped.toString('base64url'), tag].join('.'))).toBeUndefined();
    expect(box.open('garbage')).toBeUndefined();
  });
});

describe('the mail templates', () => {
  const render = loadMailTemplates();
  const values = {
    name: 'Ada <script>',
    newEmail: 'new@example.com',
    validFor: '30 minutes',
    link: 'https://app.example.com/reset-password?token=abc&x=1',
  };

  it.each(MAIL_TEMPLATES)('%s has a subject, a text part and an HTML part', (name) => {
    const mail = render(name, 'ada@example.com', values);
    expect(mail.subject).not.toBe('');
    expect(mail.text).toContain('Hello Ada <script>');
    expect(mail.html).toContain('Hello Ada &lt;script&gt;');
    expect(mail.html).not.toContain('{{');
    expect(mail.text).not.toContain('{{');
  });

  it.each(['password_reset', 'email_verification', 'email_change'] as const)(
    '%s holds the link whole on a line of its own in the text part',
    (name) => {
      const mail = render(name, 'ada@example.com', values);
      expect(mail.text.split('\n')).toContain(values.link);
      expect(mail.html).toContain(
        'href="https://app.example.com/reset-password?token=abc&amp;x=1"',
      );
    },
  );

  it('refuses to render with a value missing', () => {
    expect(() => render('password_reset', 'a@example.com', { name: 'Ada' })).toThrow(
      /value "validFor" is missing/,
    );
  });

  it('refuses to load when a template file is missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keycard-templates-'));
    writeFileSync(join(dir, 'password_reset.txt'), 'Subject: x\n\nbody');
    expect(() => loadMailTemplates(dir)).toThrow();
  });

  it('ships a .txt and an .html file for every template, and no other', () => {
    const files = readdirSync(join(__dirname, '../../../src/core/mail/templates')).sort();
    expect(files).toEqual(MAIL_TEMPLATES.flatMap((name) => [`${name}.html`, `${name}.txt`]).sort());
  });

  it.each([
    [1800, '30 minutes'],
    [86_400, '1 day'],
    [90_000, '25 hours'],
    [45, '45 seconds'],
  ])('describes %i seconds as "%s"', (seconds, words) => {
    expect(describeDuration(seconds)).toBe(words);
  });
});

describe('development without SMTP_URL', () => {
  it('writes each mail, links readable, to the log and to the terminal, and sends nothing', async () => {
    const logLines: string[] = [];
    const terminal: string[] = [];
    const testApp = await createTestApp(
      'dev_mail_log',
      {},
      { logLines, terminal: (text) => terminal.push(text) },
    );
    try {
      expect(testApp.context.mailTransport.kind).toBe('log');
      testApp.context.mailSender.start();
      await request(testApp.app)
        .post('/api/auth/register')
        .send({ name: 'Dev', email: 'dev@example.com', password: 'development password' })
        .expect(201);
      const deadline = Date.now() + 10_000;
      while (terminal.length === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect(terminal[0]).toMatch(
        /MAIL \(not sent: SMTP_URL is not set\)\n {2}To: {6}dev@example\.com\n {2}Subject: Confirm your email address for keycard\n {2}Link: {4}http:\/\/localhost:3000\/verify-email\?token=[\w-]{43}\n/,
      );
      const mailLine = logLines
        .map((line) => JSON.parse(line) as { mail?: { links: string[]; to: string } })
        .find((line) => line.mail);
      expect(mailLine?.mail).toMatchObject({
        to: 'dev@example.com',
        links: [expect.stringMatching(/^http:\/\/localhost:3000\/verify-email\?token=[\w-]{43}$/)],
      });
      // Stopping lets the delivery in progress finish recording itself.
      await testApp.context.mailSender.stop();
      const outbox = testApp.connection.collection('mail_outbox');
      expect(await outbox.findOne({ to: 'dev@example.com' })).toMatchObject({ status: 'sent' });
    } finally {
      await testApp.close();
    }
  });
});
