import type { Request } from 'express';

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
 * One structured line per security event, on the request's logger so it carries the request
 * id. Only identifiers go in: never a password, token or cookie.
 */
export function audit(req: Request, event: AuditEvent, subject: AuditSubject): void {
  req.log.info(
    { audit: { event, ...subject, ip: req.ip, at: new Date().toISOString() } },
    `audit: ${event}`,
  );
}
