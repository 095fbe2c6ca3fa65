import type { Response } from 'express';
import type { Connection } from 'mongoose';
import { RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimits } from '../config';
import {
  createLimiter,
  limiterUnavailable,
  tooManyRequests,
  type Limiter,
} from '../middleware/rate-limit';

const DAY_SECONDS = 86_400;
const FIRST_BLOCK_SECONDS = 60;
const LONGEST_BLOCK_SECONDS = 3600;

export interface LoginThrottle {
  /** Throws 429 while this email + IP pair is locked out or the email has failed too often. */
  assertAllowed(res: Response, email: string, ip: string): Promise<void>;
  /** Returns true when this failure started a lockout. */
  recordFailure(email: string, ip: string): Promise<boolean>;
  recordSuccess(email: string, ip: string): Promise<void>;
}

/**
 * Password-guessing protection kept in MongoDB, so that every instance behind a load balancer
 * sees the same counts. Keys use the normalized email whether or not an account exists: a
 * lockout therefore says nothing about which addresses are registered.
 */
export function createLoginThrottle(connection: Connection, limits: RateLimits): LoginThrottle {
  const failuresByPair = createLimiter(connection, {
    keyPrefix: 'login_fail_pair',
    points: limits.loginMaxFailures,
    durationSeconds: DAY_SECONDS,
  });
  const blocksByPair = createLimiter(connection, {
    keyPrefix: 'login_block_pair',
    points: Number.MAX_SAFE_INTEGER,
    durationSeconds: DAY_SECONDS,
  });
  const failuresByEmail = createLimiter(connection, {
    keyPrefix: 'login_fail_email',
    points: limits.loginMaxFailuresPerDay,
    durationSeconds: DAY_SECONDS,
  });
  const pairKey = (email: string, ip: string) => `${email}|${ip}`;

  async function guarded<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch {
      throw limiterUnavailable();
    }
  }

  function isOver(limiter: Limiter, state: RateLimiterRes | null): state is RateLimiterRes {
    return state !== null && state.consumedPoints >= limiter.points && state.msBeforeNext > 0;
  }

  return {
    async assertAllowed(res, email, ip) {
      const [pair, perEmail] = await guarded(() =>
        Promise.all([
          failuresByPair.store.get(pairKey(email, ip)),
          failuresByEmail.store.get(email),
        ]),
      );
      // Checked, never consumed: attempts made while blocked do not extend the block.
      if (isOver(failuresByPair, pair)) throw tooManyRequests(res, failuresByPair, pair);
      if (isOver(failuresByEmail, perEmail)) throw tooManyRequests(res, failuresByEmail, perEmail);
    },

    async recordFailure(email, ip) {
      const key = pairKey(email, ip);
      return guarded(async () => {
        const [pair] = await Promise.all([
          failuresByPair.store.penalty(key, 1),
          failuresByEmail.store.penalty(email, 1),
        ]);
        if (pair.consumedPoints < limits.loginMaxFailures) return false;
        // Each new block for the pair lasts twice as long as the one before, up to an hour.
        const blocks = await blocksByPair.store.penalty(key, 1);
        const blockSeconds = Math.min(
          FIRST_BLOCK_SECONDS * 2 ** (blocks.consumedPoints - 1),
          LONGEST_BLOCK_SECONDS,
        );
        await failuresByPair.store.block(key, blockSeconds);
        return true;
      });
    },

    async recordSuccess(email, ip) {
      const key = pairKey(email, ip);
      await guarded(() =>
        Promise.all([failuresByPair.store.delete(key), blocksByPair.store.delete(key)]),
      );
    },
  };
}
