import type { RequestHandler } from 'express';
import { rateLimitKeyOf } from '../../core/client-key';
import { consumePoint, type Limiter } from '../../core/rate-limiter';
import { setRateLimitHeaders } from '../rate-limit-headers';

/** One point per request from the client's address (IPv6 counted per /64). */
export function rateLimitByIp(limiter: Limiter): RequestHandler {
  return async (req, res, next) => {
    setRateLimitHeaders(res, await consumePoint(limiter, rateLimitKeyOf(req.ip)));
    next();
  };
}
