import { randomUUID } from 'node:crypto';
import type { Logger } from '../../logger';
import type { MailOutboxModel, OutboxMailRecord } from '../../models/mail-outbox';
import { logAudit } from '../audit';
import { retryDelaySeconds } from './backoff';
import type { MailOutbox } from './outbox';
import type { SealedBox } from './sealed-box';
import type { MailRenderer, RenderedMail } from './templates';
import type { MailTransport } from './transport';
import { SMTP_TIMEOUTS_MS } from './smtp-transport';

// Longer than the slowest SMTP exchange the transport allows, so a lease never runs out while
// its holder is still sending: a mail is sent once, not once per instance.
const LEASE_MS =
  2 * (SMTP_TIMEOUTS_MS.connectionTimeout + SMTP_TIMEOUTS_MS.greetingTimeout) +
  4 * SMTP_TIMEOUTS_MS.socketTimeout;
const DEFAULT_POLL_MS = 1000;
// Sent and failed mails stay this long for diagnosis, without their link, then are deleted.
const KEEP_FINISHED_MS = 7 * 86_400_000;
const STORE_TROUBLE_LOG_INTERVAL_MS = 60_000;
// A new mail is taken up this long after the request that wrote it, so its rendering and
// sending never share the event loop with that request's answer: a forgot-password answer for
// a known address then takes as long as one for an unknown address.
const WAKE_DELAY_MS = 150;

export interface MailSenderOptions {
  model: MailOutboxModel;
  outbox: MailOutbox;
  transport: MailTransport;
  render: MailRenderer;
  box: SealedBox;
  logger: Logger;
  maxAgeSeconds: number;
  /** How often an idle sender looks for mail from other instances and for retries. */
  pollIntervalMs?: number;
}

export interface MailSender {
  /** Starts the loop; server.ts does, createApp never does. */
  start(): void;
  /** Lets a delivery in progress finish, then stops; waiting mail stays for the next start. */
  stop(): Promise<void>;
}

function errorText(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 500);
}

// Long only as the sum of its inner steps (claim, send, retry, sweep), which share the loop's state.
/**
 * Delivers the outbox. Each mail is claimed with a lease (an atomic findOneAndUpdate), so
 * senders on any number of instances never deliver one mail twice; a mail whose sender died
 * is taken over when its lease ends. A failed attempt is retried with exponential backoff until
 * the mail is older than MAIL_MAX_AGE, when it is marked failed and logged.
 */
export function createMailSender(options: MailSenderOptions): MailSender {
  const { model, transport, logger } = options;
  const owner = randomUUID();
  const audit = logAudit(logger);
  const pollMs = options.pollIntervalMs ?? DEFAULT_POLL_MS;
  let running: Promise<void> | undefined;
  let stopping = false;
  let wake: (() => void) | undefined;
  let wokenEarly = false;
  let troubleLoggedAt = Number.NEGATIVE_INFINITY;

  options.outbox.onEnqueued(() => {
    setTimeout(() => {
      if (wake) wake();
      else wokenEarly = true;
    }, WAKE_DELAY_MS).unref();
  });

  function nap(ms: number): Promise<void> {
    if (wokenEarly) {
      wokenEarly = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });
  }

  async function claimNext(): Promise<OutboxMailRecord | null> {
    const now = new Date();
    return model
      .findOneAndUpdate(
        { status: 'pending', nextAttemptAt: { $lte: now }, leaseUntil: { $lte: now } },
        { $set: { leaseUntil: new Date(now.getTime() + LEASE_MS), leaseOwner: owner } },
        { sort: { nextAttemptAt: 1, _id: 1 }, returnDocument: 'after' },
      )
      .lean<OutboxMailRecord>();
  }

  /** Writes the outcome, but only while this sender still holds the mail. */
  async function settle(mail: OutboxMailRecord, update: object): Promise<void> {
    await model.updateOne({ _id: mail._id, leaseOwner: owner, status: 'pending' }, update);
  }

  function subjectOf(mail: OutboxMailRecord) {
    return {
      mailId: mail._id.toHexString(),
      template: mail.template,
      ...(mail.userId ? { userId: mail.userId.toHexString() } : {}),
    };
  }

  async function fail(mail: OutboxMailRecord, reason: string, attempts = mail.attempts) {
    const now = new Date();
    await settle(mail, {
      $set: {
        status: 'failed',
        attempts,
        lastError: reason,
        finishedAt: now,
        deleteAt: new Date(now.getTime() + KEEP_FINISHED_MS),
        sealed: null,
      },
    });
    logger.error({ ...subjectOf(mail), to: mail.to, attempts, reason }, 'mail failed');
    audit('mail_failed', { ...subjectOf(mail), reason });
  }

  async function retryLater(mail: OutboxMailRecord, error: unknown): Promise<void> {
    const attempts = mail.attempts + 1;
    const now = Date.now();
    if (now - mail.createdAt.getTime() >= options.maxAgeSeconds * 1000) {
      return fail(mail, `not delivered within MAIL_MAX_AGE: ${errorText(error)}`, attempts);
    }
    const nextAttemptAt = new Date(now + retryDelaySeconds(attempts) * 1000);
    await settle(mail, {
      $set: { attempts, nextAttemptAt, leaseUntil: new Date(now), lastError: errorText(error) },
    });
    logger.warn(
      { ...subjectOf(mail), attempts, nextAttemptAt, err: errorText(error) },
      'mail not delivered; will retry',
    );
  }

  /** The mail as it will go out, or why it never can. */
  function prepare(mail: OutboxMailRecord): RenderedMail | string {
    if (Date.now() - mail.createdAt.getTime() >= options.maxAgeSeconds * 1000) {
      return 'older than MAIL_MAX_AGE before it could be sent';
    }
    const secrets = mail.sealed === null ? {} : options.box.open(mail.sealed);
    if (!secrets) return 'its link cannot be opened with JWT_SECRET or JWT_PREVIOUS_SECRETS';
    try {
      return options.render(mail.template, mail.to, { ...mail.values, ...secrets });
    } catch (error) {
      return `cannot be rendered: ${errorText(error)}`;
    }
  }

  async function deliver(mail: OutboxMailRecord): Promise<void> {
    const prepared = prepare(mail);
    if (typeof prepared === 'string') return fail(mail, prepared);
    try {
      await transport.send(prepared);
    } catch (error) {
      return retryLater(mail, error);
    }
    const now = new Date();
    await settle(mail, {
      $set: {
        status: 'sent',
        attempts: mail.attempts + 1,
        finishedAt: now,
        deleteAt: new Date(now.getTime() + KEEP_FINISHED_MS),
        lastError: null,
        sealed: null,
      },
    });
    audit('mail_sent', { ...subjectOf(mail), via: transport.kind });
  }

  async function loop(): Promise<void> {
    while (!stopping) {
      let worked = false;
      try {
        const claimed = await claimNext();
        if (claimed) await deliver(claimed);
        worked = claimed !== null;
      } catch (error) {
        // The database is away: say so once a minute, keep trying; the mail stays pending.
        if (Date.now() - troubleLoggedAt >= STORE_TROUBLE_LOG_INTERVAL_MS) {
          troubleLoggedAt = Date.now();
          logger.error({ err: error }, 'mail outbox unavailable; mail waits');
        }
      }
      if (!worked && !stopping) await nap(pollMs);
    }
  }

  return {
    start() {
      if (running) return;
      stopping = false;
      running = loop();
    },
    async stop() {
      stopping = true;
      wake?.();
      await running;
      running = undefined;
    },
  };
}
