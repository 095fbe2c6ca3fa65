import type { Request } from 'express';
import type { Caller } from '../core/audit';
import { rateLimitKeyOf } from '../core/client-key';
import { readDeviceToken } from './auth-cookies';
import { requestLog } from './middleware/request-logger';

const MAX_USER_AGENT_LENGTH = 512;

/**
 * The request's client as the services see it. req.ip is the socket's address unless
 * TRUST_PROXY says which proxies may name the client.
 */
export function callerOf(req: Request): Caller {
  const ip = req.ip ?? '';
  return {
    ip,
    rateLimitKey: rateLimitKeyOf(ip),
    userAgent: (req.get('user-agent') ?? '').slice(0, MAX_USER_AGENT_LENGTH),
    deviceToken: readDeviceToken(req),
    // On the request's own logger, so every audit line carries the request id.
    audit: (event, subject) => {
      const log = requestLog(req);
      if (!log) throw new Error('requestLogger() must run before any route that audits');
      log.info(
        { audit: { event, ...subject, ip, at: new Date().toISOString() } },
        `audit: ${event}`,
      );
    },
  };
}
