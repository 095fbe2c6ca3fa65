import nodemailer from 'nodemailer';
import type { MailTransport } from './transport';

// A dead or silent server must not hold a mail's lease: every step gives up well within it.
export const SMTP_TIMEOUTS_MS = {
  connectionTimeout: 10_000,
  greetingTimeout: 10_000,
  socketTimeout: 30_000,
} as const;

/**
 * SMTP_URL as nodemailer reads it: smtp:// upgrades with STARTTLS when the server offers it,
 * smtps:// is TLS from the start, and nodemailer's URL options (?ignoreTLS=true, …) apply.
 */
export function createSmtpTransport(smtpUrl: string, from: string): MailTransport {
  const transporter = nodemailer.createTransport({ url: smtpUrl, ...SMTP_TIMEOUTS_MS });
  return {
    kind: 'smtp',
    async send(mail) {
      await transporter.sendMail({
        from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
      });
    },
    async close() {
      transporter.close();
    },
  };
}
