import type { Logger } from '../../logger';
import type { RenderedMail } from './templates';

/** Delivers one mail, or throws; the sender loop decides what a failure means. */
export interface MailTransport {
  /** "smtp" or "log", for the audit trail. */
  readonly kind: string;
  send(mail: RenderedMail): Promise<void>;
  close(): Promise<void>;
}

const LINK_LINE = /^https?:\/\/\S+$/gm;

/**
 * Development without SMTP_URL: each mail is written to the log (links included, the one place
 * a token may appear in a log) and, when a person is watching a terminal, in plain words.
 */
export function createLogTransport(
  logger: Logger,
  terminal: ((text: string) => void) | undefined,
): MailTransport {
  return {
    kind: 'log',
    async send(mail) {
      const links = mail.text.match(LINK_LINE) ?? [];
      logger.info(
        { mail: { to: mail.to, subject: mail.subject, links, text: mail.text } },
        `mail not sent (no SMTP_URL): "${mail.subject}" to ${mail.to}`,
      );
      terminal?.(
        [
          '',
          '  MAIL (not sent: SMTP_URL is not set)',
          `  To:      ${mail.to}`,
          `  Subject: ${mail.subject}`,
          ...links.map((link) => `  Link:    ${link}`),
          '',
        ].join('\n'),
      );
    },
    async close() {},
  };
}
