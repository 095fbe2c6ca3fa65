import type { Response } from 'express';
import type { RateLimitState } from '../core/errors';

/** The RateLimit-* fields of draft-ietf-httpapi-ratelimit-headers, as most APIs send them. */
export function setRateLimitHeaders(res: Response, state: RateLimitState): void {
  res.set({
    'RateLimit-Limit': String(state.limit),
    'RateLimit-Remaining': String(state.remaining),
    'RateLimit-Reset': String(state.resetSeconds),
    'RateLimit-Policy': `${state.limit};w=${state.windowSeconds}`,
  });
}
