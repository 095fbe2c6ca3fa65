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
  | 'user_deletion';

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
