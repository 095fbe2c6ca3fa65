import type { RequestHandler, Response } from 'express';
import type { Connection } from 'mongoose';
import { RateLimiterMongo, RateLimiterRes } from 'rate-limiter-flexible';
import { HttpError } from '../errors';
import { rateLimitKeyOf } from './client-ip';

/** All counters live in one collection of keycard's own database, shared by every instance. */
export const RATE_LIMIT_COLLECTION = 'rate_limits';

export interface Limiter {
  store: RateLimiterMongo;
  points: number;
  durationSeconds: number;
}

export function createLimiter(
  connection: Connection,
  options: { keyPrefix: string; points: number; durationSeconds: number },
): Limiter {
  const store = new RateLimiterMongo({
    storeClient: connection,
    tableName: RATE_LIMIT_COLLECTION,
    keyPrefix: options.keyPrefix,
    points: options.points,
    duration: options.durationSeconds,
    // Every limiter shares one collection; createAppContext builds its indexes once.
    disableIndexesCreation: true,
  });
  return { store, points: options.points, durationSeconds: options.durationSeconds };
}

const seconds = (milliseconds: number) => Math.max(1, Math.ceil(milliseconds / 1000));

/** The RateLimit-* fields of draft-ietf-httpapi-ratelimit-headers, as most APIs send them. */
export function setRateLimitHeaders(res: Response, limiter: Limiter, state: RateLimiterRes): void {
  res.set({
    'RateLimit-Limit': String(limiter.points),
    'RateLimit-Remaining': String(Math.max(0, limiter.points - state.consumedPoints)),
    'RateLimit-Reset': String(seconds(state.msBeforeNext)),
    'RateLimit-Policy': `${limiter.points};w=${limiter.durationSeconds}`,
  });
}

export function tooManyRequests(res: Response, limiter: Limiter, state: RateLimiterRes): HttpError {
  setRateLimitHeaders(res, limiter, state);
  return new HttpError(429, 'too_many_requests', 'Too many requests, try again later', undefined, {
    'Retry-After': String(seconds(state.msBeforeNext)),
  });
}

/**
 * Without its counters keycard cannot tell an attacker from a user, so it refuses (fails
 * closed) rather than let guessing run unlimited while the database is away.
 */
export function limiterUnavailable(): HttpError {
  return new HttpError(503, 'service_unavailable', 'Service temporarily unavailable');
}

/** Counts a point for `key`; throws 429 past the limit, 503 when the store cannot be reached. */
export async function consumePoint(res: Response, limiter: Limiter, key: string): Promise<void> {
  let state: RateLimiterRes;
  try {
    state = await limiter.store.consume(key);
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) throw tooManyRequests(res, limiter, rejection);
    throw limiterUnavailable();
  }
  setRateLimitHeaders(res, limiter, state);
}

/**
 * One point per request from the client's address (req.ip: the socket's unless TRUST_PROXY;
 * IPv6 counted per /64).
 */
export function rateLimitByIp(limiter: Limiter): RequestHandler {
  return async (req, res, next) => {
    await consumePoint(res, limiter, rateLimitKeyOf(req.ip));
    next();
  };
}
