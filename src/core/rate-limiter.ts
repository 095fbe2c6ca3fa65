import type { Connection } from 'mongoose';
import { RateLimiterMongo, RateLimiterRes } from 'rate-limiter-flexible';
import { isDatabaseUnavailable } from '../db/mongo-errors';
import { KeycardError, RateLimitedError, type RateLimitState } from './errors';

/** All counters live in one collection of keycard's own database, shared by every instance. */
export const RATE_LIMIT_COLLECTION = 'rate_limits';

/** A limit as configured: at most `max` in any `windowSeconds`. */
export interface LimitSetting {
  max: number;
  windowSeconds: number;
}

export interface Limiter {
  store: RateLimiterMongo;
  setting: LimitSetting;
}

export function createLimiter(
  connection: Connection,
  keyPrefix: string,
  setting: LimitSetting,
): Limiter {
  const store = new RateLimiterMongo({
    storeClient: connection,
    tableName: RATE_LIMIT_COLLECTION,
    keyPrefix,
    points: setting.max,
    duration: setting.windowSeconds,
    // Every limiter shares one collection; createAppContext builds its indexes, at start and
    // again after each reconnect.
    disableIndexesCreation: true,
  });
  return { store, setting };
}

const wholeSeconds = (milliseconds: number) => Math.max(1, Math.ceil(milliseconds / 1000));

export function stateOf(limiter: Limiter, counter: RateLimiterRes): RateLimitState {
  return {
    limit: limiter.setting.max,
    remaining: Math.max(0, limiter.setting.max - counter.consumedPoints),
    resetSeconds: wholeSeconds(counter.msBeforeNext),
    windowSeconds: limiter.setting.windowSeconds,
  };
}

/**
 * Without its counters keycard cannot tell an attacker from a user, so it refuses (fails
 * closed) rather than let guessing run unlimited while the database is away.
 */
export async function withLimiterStore<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (cause) {
    throw storeFailure(cause);
  }
}

function storeFailure(cause: unknown): KeycardError {
  if (cause instanceof KeycardError) return cause;
  const code = isDatabaseUnavailable(cause) ? 'database_unavailable' : 'service_unavailable';
  return new KeycardError(code, { cause });
}

/** Counts one point for `key`: the state after it, or RateLimitedError past the limit. */
export async function consumePoint(limiter: Limiter, key: string): Promise<RateLimitState> {
  try {
    return stateOf(limiter, await limiter.store.consume(key));
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) {
      throw new RateLimitedError(stateOf(limiter, rejection));
    }
    throw storeFailure(rejection);
  }
}
