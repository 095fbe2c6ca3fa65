import type { Connection } from 'mongoose';
import { RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimitState } from './errors';
import { escapeRegExp } from './escape-regexp';
import {
  createLimiter,
  RATE_LIMIT_COLLECTION,
  stateOf,
  withLimiterStore,
  type LimitSetting,
} from './rate-limiter';

const FIRST_BLOCK_SECONDS = 60;
const LONGEST_BLOCK_SECONDS = 3600;
// A password check that never reported back (a crashed instance) stops holding its place
// after this long.
const IN_FLIGHT_SECONDS = 60;

export type Admission =
  | { kind: 'admitted' }
  | { kind: 'refused'; state: RateLimitState }
  /** Checks already in flight could still use up the allowance: ask again when they end. */
  | { kind: 'busy' };

export type Outcome = 'failure' | 'success' | 'aborted';

/**
 * Counts the password failures of one key (an email + client pair, a device, an email) in
 * MongoDB, so every instance sees the same count. Only a wrong password counts: a check is
 * "in flight" until it reports its outcome, and no more checks are let in than failures could
 * still be allowed, so parallel guesses cannot slip past the limit while bcrypt runs, and
 * parallel correct logins are never refused for failures they did not have.
 */
export interface FailureGate {
  admit(key: string): Promise<Admission>;
  /** Returns true when this failure started a block. */
  release(key: string, outcome: Outcome): Promise<boolean>;
  /** Forgets the failures and blocks of one key, or of every key that starts with a prefix. */
  forget(keys: { exact: string } | { startingWith: string }): Promise<void>;
}

// Long only as the sum of admit and release, which share the three counters.
export function createFailureGate(
  connection: Connection,
  name: string,
  setting: LimitSetting,
  options: { blocks: boolean },
): FailureGate {
  const failuresPrefix = `login_fail_${name}`;
  const blocksPrefix = `login_block_${name}`;
  const failures = createLimiter(connection, failuresPrefix, setting);
  const inFlight = createLimiter(connection, `login_inflight_${name}`, {
    max: Number.MAX_SAFE_INTEGER,
    windowSeconds: IN_FLIGHT_SECONDS,
  });
  const blocks = createLimiter(connection, blocksPrefix, {
    max: Number.MAX_SAFE_INTEGER,
    windowSeconds: setting.windowSeconds,
  });

  function refusal(counter: RateLimiterRes): Admission {
    // At the limit but not yet blocked: the failure that reached it is setting the block now.
    const pendingBlock = options.blocks && counter.consumedPoints <= setting.max;
    const shown = pendingBlock
      ? new RateLimiterRes(0, FIRST_BLOCK_SECONDS * 1000, counter.consumedPoints)
      : counter;
    return { kind: 'refused', state: stateOf(failures, shown) };
  }

  async function startBlock(key: string): Promise<void> {
    // Each new block for the key lasts twice as long as the one before, up to an hour.
    const count = await blocks.store.penalty(key, 1);
    const seconds = Math.min(
      FIRST_BLOCK_SECONDS * 2 ** (count.consumedPoints - 1),
      LONGEST_BLOCK_SECONDS,
    );
    await failures.store.block(key, seconds);
  }

  return {
    admit: (key) =>
      withLimiterStore(async () => {
        // Counted in flight before the failures are read, so that a check moving from one
        // count to the other is never missed by both reads.
        const running = (await inFlight.store.penalty(key, 1)).consumedPoints;
        const failed = await failures.store.get(key);
        const failedPoints = failed?.consumedPoints ?? 0;
        // Refused without counting: attempts made while blocked do not extend the block.
        if (failed && failedPoints >= setting.max && failed.msBeforeNext > 0) {
          await inFlight.store.reward(key, 1);
          return refusal(failed);
        }
        if (failedPoints + running > setting.max) {
          await inFlight.store.reward(key, 1);
          return { kind: 'busy' };
        }
        return { kind: 'admitted' };
      }),

    release: (key, outcome) =>
      withLimiterStore(async () => {
        let blocked = false;
        if (outcome === 'failure') {
          const failed = await failures.store.penalty(key, 1);
          blocked = options.blocks && failed.consumedPoints === setting.max;
          if (blocked) await startBlock(key);
        } else if (outcome === 'success' && options.blocks) {
          // One database wait for all three: a check let in after the place is given back but
          // before the failures are gone only sees more failures than there are, never fewer.
          await Promise.all([
            failures.store.delete(key),
            blocks.store.delete(key),
            inFlight.store.reward(key, 1),
          ]);
          return false;
        }
        await inFlight.store.reward(key, 1);
        return blocked;
      }),

    forget: (keys) =>
      withLimiterStore(async () => {
        // rate-limiter-flexible stores "<prefix>:<key>" in the key field of one shared
        // collection; it has no delete by prefix, so the documents are removed here, by an
        // anchored pattern the unique key index can serve. Checks in flight are left alone:
        // they give their place back themselves.
        const tail =
          'exact' in keys ? `${escapeRegExp(keys.exact)}$` : escapeRegExp(keys.startingWith);
        const pattern = new RegExp(
          `^(?:${escapeRegExp(failuresPrefix)}|${escapeRegExp(blocksPrefix)}):${tail}`,
        );
        await connection.collection(RATE_LIMIT_COLLECTION).deleteMany({ key: pattern });
      }),
  };
}
