import type { Logger } from '../logger';

export type AuditEvent =
  | 'register'
  | 'login_success'
  | 'login_failure'
  | 'lockout'
  | 'refresh_reuse'
  | 'logout'
  | 'logout_all'
  | 'password_change'
  | 'role_change'
  | 'user_deletion'
  | 'login_unverified'
  | 'password_reset_requested'
  | 'password_reset'
  | 'email_verification_requested'
  | 'email_verified'
  | 'email_change_requested'
  | 'email_changed'
  | 'mail_sent'
  | 'mail_failed';

export interface AuditSubject {
  /** The account concerned, when it is known. */
  userId?: string;
  /** The normalized email, for events about an address that may have no account. */
  email?: string;
  /** Who did it, when that is someone else (an admin). */
  actorId?: string;
  [detail: string]: string | undefined;
}

/**
 * Writes one structured line per security event. Only identifiers go in: never a password,
 * token or cookie.
 */
export type AuditSink = (event: AuditEvent, subject: AuditSubject) => void;

/**
 * Who is asking, in plain values: services count limits by `rateLimitKey`, record `ip` and
 * `userAgent` on sessions, and report security events to `audit`.
 */
export interface Caller {
  ip: string;
  rateLimitKey: string;
  userAgent: string;
  /** A device token the client presented (see core/device-tokens.ts), unverified. */
  deviceToken?: string;
  audit: AuditSink;
}

/** For work that no request carries, such as the mail sender: audit lines on the given log. */
export function logAudit(logger: Logger): AuditSink {
  return (event, subject) =>
    logger.info({ audit: { event, ...subject, at: new Date().toISOString() } }, `audit: ${event}`);
}
