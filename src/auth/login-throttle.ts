import type { Response } from 'express';
import type { Connection } from 'mongoose';
import { RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimits } from '../config';
import { rateLimitKeyOf } from '../middleware/client-ip';
import {
  createLimiter,
  limiterUnavailable,
  tooManyRequests,
  type Limiter,
} from '../middleware/rate-limit';

const DAY_SECONDS = 86_400;
const FIRST_BLOCK_SECONDS = 60;
const LONGEST_BLOCK_SECONDS = 3600;

/** A password check in progress, already counted as a failure until it succeeds. */
export interface PasswordAttempt {
  email: string;
  pairKey: string;
  /** This attempt's place in the pair's run of failures (1 = first). */
  failureNumber: number;
}

export interface LoginThrottle {
  /**
   * Throws 429 while the email + IP pair is locked out or the email has failed too often;
   * otherwise counts the attempt as a failure BEFORE the password is checked, so that guesses
   * sent in parallel cannot all slip in while bcrypt runs.
   */
  beginAttempt(res: Response, email: string, ip: string | undefined): Promise<PasswordAttempt>;
  /** The password was wrong. Returns true when this failure started a lockout. */
  recordFailure(attempt: PasswordAttempt): Promise<boolean>;
  /** The password was right: the pair's failures are forgotten and the point given back. */
  recordSuccess(attempt: PasswordAttempt): Promise<void>;
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
    async beginAttempt(res, email, ip) {
      const pairKey = `${email}|${rateLimitKeyOf(ip)}`;
      const [pair, perEmail] = await guarded(() =>
        Promise.all([failuresByPair.store.get(pairKey), failuresByEmail.store.get(email)]),
      );
      // Refused without counting: attempts made while blocked do not extend the block.
      if (isOver(failuresByPair, pair)) throw tooManyRequests(res, failuresByPair, pair);
      if (isOver(failuresByEmail, perEmail)) throw tooManyRequests(res, failuresByEmail, perEmail);

      const [reservedPair, reservedEmail] = await guarded(() =>
        Promise.all([
          failuresByPair.store.penalty(pairKey, 1),
          failuresByEmail.store.penalty(email, 1),
        ]),
      );
      const pairOver = reservedPair.consumedPoints > limits.loginMaxFailures;
      const emailOver = reservedEmail.consumedPoints > limits.loginMaxFailuresPerDay;
      if (pairOver || emailOver) {
        // Lost a race with attempts already in flight: give the point back and refuse. The
        // attempt that reached the limit sets the block when it fails.
        await guarded(() =>
          Promise.all([
            failuresByPair.store.reward(pairKey, 1),
            failuresByEmail.store.reward(email, 1),
          ]),
        );
        if (emailOver) throw tooManyRequests(res, failuresByEmail, reservedEmail);
        const firstBlock = new RateLimiterRes(
          0,
          FIRST_BLOCK_SECONDS * 1000,
          reservedPair.consumedPoints,
        );
        throw tooManyRequests(res, failuresByPair, firstBlock);
      }
      return { email, pairKey, failureNumber: reservedPair.consumedPoints };
    },

    async recordFailure(attempt) {
      if (attempt.failureNumber !== limits.loginMaxFailures) return false;
      return guarded(async () => {
        // Each new block for the pair lasts twice as long as the one before, up to an hour.
        const blocks = await blocksByPair.store.penalty(attempt.pairKey, 1);
        const blockSeconds = Math.min(
          FIRST_BLOCK_SECONDS * 2 ** (blocks.consumedPoints - 1),
          LONGEST_BLOCK_SECONDS,
        );
        await failuresByPair.store.block(attempt.pairKey, blockSeconds);
        return true;
      });
    },

    async recordSuccess(attempt) {
      await guarded(() =>
        Promise.all([
          failuresByPair.store.delete(attempt.pairKey),
          blocksByPair.store.delete(attempt.pairKey),
          failuresByEmail.store.reward(attempt.email, 1),
        ]),
      );
    },
  };
}
