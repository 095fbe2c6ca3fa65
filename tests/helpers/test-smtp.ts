import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** A real SMTP server on 127.0.0.1 that parses what arrives; it can go down and come back. */
export interface TestSmtp {
  /** SMTP_URL for keycard, with credentials when the server asks for them. */
  url: string;
  mails: ParsedMail[];
  /** Stops listening; the port stays reserved for start(). */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Waits until `count` mails have arrived in all, then returns them all. */
  waitForMails(count: number): Promise<ParsedMail[]>;
  /** Waits for the first mail from index `from` on that matches, and returns it. */
  waitForMail(matches: (mail: ParsedMail) => boolean, from?: number): Promise<ParsedMail>;
}

const WAIT_LIMIT_MS = 15_000;

async function waitUntil(done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_LIMIT_MS;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`waited ${WAIT_LIMIT_MS} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export async function startTestSmtp(
  options: { auth?: { user: string; pass: string } } = {},
): Promise<TestSmtp> {
  const mails: ParsedMail[] = [];
  const { auth } = options;
  let port = 0;
  let server: SMTPServer | undefined;

  function listen(): Promise<void> {
    const created = new SMTPServer({
      logger: false,
      // A test server has no certificate a client would accept: plain SMTP on loopback.
      disabledCommands: auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
      authOptional: !auth,
      allowInsecureAuth: true,
      onAuth(login, _session, callback) {
        if (login.username === auth?.user && login.password === auth?.pass) {
          callback(null, { user: login.username });
        } else {
          callback(new Error('Invalid username or password'));
        }
      },
      onData(stream, _session, callback) {
        simpleParser(stream).then(
          (mail) => {
            mails.push(mail);
            callback();
          },
          (error: Error) => callback(error),
        );
      },
    });
    server = created;
    return new Promise((resolve, reject) => {
      created.once('error', reject);
      created.listen(port, '127.0.0.1', () => {
        port = (created.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  await listen();
  const credentials = auth ? `${auth.user}:${auth.pass}@` : '';
  return {
    url: `smtp://${credentials}127.0.0.1:${port}`,
    mails,
    stop: () =>
      new Promise<void>((resolve) => {
        if (!server) return resolve();
        server.close(() => resolve());
        server = undefined;
      }),
    start: listen,
    async waitForMails(count) {
      await waitUntil(() => mails.length >= count, `${count} mails`);
      return mails;
    },
    async waitForMail(matches, from = 0) {
      const found = () => mails.slice(from).find(matches);
      await waitUntil(() => found() !== undefined, 'a matching mail');
      return found() as ParsedMail;
    },
  };
}

/** The token of the one link in a mail's text part that opens `path` on APP_URL. */
export function tokenIn(mail: ParsedMail, path: string): string {
  const line = (mail.text ?? '').split('\n').find((text) => text.includes(`${path}?token=`));
  const token = line && new URL(line.trim()).searchParams.get('token');
  if (!token) throw new Error(`no ${path} link in "${mail.subject ?? ''}"`);
  return token;
}

export function recipientOf(mail: ParsedMail): string {
  const to = Array.isArray(mail.to) ? mail.to[0] : mail.to;
  return to?.value[0]?.address ?? '';
}
