import type { Connection } from 'mongoose';
import { RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimitState } from './errors';
import {
  createLimiter,
  stateOf,
  withLimiterStore,
  type LimitSetting,
  type Limiter,
} from './rate-limiter';

const FIRST_BLOCK_SECONDS = 60;
const LONGEST_BLOCK_SECONDS = 3600;

export interface LoginLimits {
  /** Consecutive failures of one email from one client before it is blocked. */
  failuresPerPair: LimitSetting;
  /** Failures of one email from every client together. */
  failuresPerEmail: LimitSetting;
}

/** A password check in progress, already counted as a failure until it succeeds. */
export interface PasswordAttempt {
  email: string;
  pairKey: string;
  /** This attempt's place in the pair's run of failures (1 = first). */
  failureNumber: number;
}

export type AttemptVerdict =
  { allowed: true; attempt: PasswordAttempt } | { allowed: false; state: RateLimitState };

export interface LoginThrottle {
  /**
   * Refuses while the email + client pair is locked out or the email has failed too often;
   * otherwise counts the attempt as a failure BEFORE the password is checked, so that guesses
   * sent in parallel cannot all slip in while bcrypt runs.
   */
  beginAttempt(email: string, clientKey: string): Promise<AttemptVerdict>;
  /** The password was wrong. Returns true when this failure started a lockout. */
  recordFailure(attempt: PasswordAttempt): Promise<boolean>;
  /** The password was right: the pair's failures are forgotten and the point given back. */
  recordSuccess(attempt: PasswordAttempt): Promise<void>;
}

function isOver(limiter: Limiter, counter: RateLimiterRes | null): counter is RateLimiterRes {
  return (
    counter !== null && counter.consumedPoints >= limiter.setting.max && counter.msBeforeNext > 0
  );
}

/**
 * Password-guessing protection kept in MongoDB, so that every instance behind a load balancer
 * sees the same counts. Keys use the normalized email whether or not an account exists: a
 * lockout therefore says nothing about which addresses are registered.
 */
// Long only as the sum of its methods, each a few lines, which share these dependencies.
export function createLoginThrottle(connection: Connection, limits: LoginLimits): LoginThrottle {
  const failuresByPair = createLimiter(connection, 'login_fail_pair', limits.failuresPerPair);
  const blocksByPair = createLimiter(connection, 'login_block_pair', {
    max: Number.MAX_SAFE_INTEGER,
    windowSeconds: limits.failuresPerPair.windowSeconds,
  });
  const failuresByEmail = createLimiter(connection, 'login_fail_email', limits.failuresPerEmail);
  const maxPairFailures = limits.failuresPerPair.max;

  async function reserve(email: string, pairKey: string): Promise<AttemptVerdict> {
    const [pair, perEmail] = await withLimiterStore(() =>
      Promise.all([
        failuresByPair.store.penalty(pairKey, 1),
        failuresByEmail.store.penalty(email, 1),
      ]),
    );
    const pairOver = pair.consumedPoints > maxPairFailures;
    const emailOver = perEmail.consumedPoints > limits.failuresPerEmail.max;
    if (!pairOver && !emailOver) {
      return { allowed: true, attempt: { email, pairKey, failureNumber: pair.consumedPoints } };
    }
    // Lost a race with attempts already in flight: give the point back and refuse. The
    // attempt that reached the limit sets the block when it fails.
    await withLimiterStore(() =>
      Promise.all([
        failuresByPair.store.reward(pairKey, 1),
        failuresByEmail.store.reward(email, 1),
      ]),
    );
    if (emailOver) return { allowed: false, state: stateOf(failuresByEmail, perEmail) };
    const firstBlock = new RateLimiterRes(0, FIRST_BLOCK_SECONDS * 1000, pair.consumedPoints);
    return { allowed: false, state: stateOf(failuresByPair, firstBlock) };
  }

  return {
    async beginAttempt(email, clientKey) {
      const pairKey = `${email}|${clientKey}`;
      const [pair, perEmail] = await withLimiterStore(() =>
        Promise.all([failuresByPair.store.get(pairKey), failuresByEmail.store.get(email)]),
      );
      // Refused without counting: attempts made while blocked do not extend the block.
      if (isOver(failuresByPair, pair)) {
        return { allowed: false, state: stateOf(failuresByPair, pair) };
      }
      if (isOver(failuresByEmail, perEmail)) {
        return { allowed: false, state: stateOf(failuresByEmail, perEmail) };
      }
      return reserve(email, pairKey);
    },

    async recordFailure(attempt) {
      if (attempt.failureNumber !== maxPairFailures) return false;
      return withLimiterStore(async () => {
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
      await withLimiterStore(() =>
        Promise.all([
          failuresByPair.store.delete(attempt.pairKey),
          blocksByPair.store.delete(attempt.pairKey),
          failuresByEmail.store.reward(attempt.email, 1),
        ]),
      );
    },
  };
}
