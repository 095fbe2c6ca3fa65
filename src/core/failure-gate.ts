import { randomBytes } from 'node:crypto';
import type { mongo } from 'mongoose';
import {
  loginGateCollection,
  type LoginGateModel,
  type LoginGateRecord,
} from '../models/login-gate';
import type { RateLimitState } from './errors';
import { escapeRegExp } from './escape-regexp';
import { withLimiterStore, type LimitSetting } from './rate-limiter';

// Each new block of a key lasts twice as long as the one before, up to an hour.
const BLOCK_MS = [60, 120, 240, 480, 960, 1920, 3600].map((seconds) => seconds * 1000);
// A password check that never reported back (a crashed instance) stops holding its place
// after this long.
const IN_FLIGHT_MS = 60_000;

export type Admission =
  | { kind: 'admitted'; checkId: string }
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
  /** Counts a wrong password and gives the check's place back; true when it started a block. */
  fail(key: string, checkId: string): Promise<boolean>;
  /**
   * The write that gives a check's place back after a right password (which also ends the
   * key's failures, where they block) or none: the throttle sends those of all the gates of
   * an attempt as one command.
   */
  leave(
    key: string,
    checkId: string,
    outcome: Exclude<Outcome, 'failure'>,
  ): mongo.AnyBulkWriteOperation<LoginGateRecord>;
  /** Forgets the failures and blocks of one key, or of every key that starts with a prefix. */
  forget(keys: { exact: string } | { startingWith: string }): Promise<void>;
}

type Stage = Record<string, unknown>;

/** The first stage of every update: whatever has run out by `now` reads as nothing. */
function current(now: number): Stage {
  return {
    $set: {
      failures: { $cond: [{ $gt: ['$failuresUntil', now] }, '$failures', 0] },
      blocks: { $cond: [{ $gt: ['$blocksUntil', now] }, '$blocks', 0] },
      inFlight: {
        $filter: { input: { $ifNull: ['$inFlight', []] }, cond: { $gt: ['$$this.until', now] } },
      },
    },
  };
}

/** The last stage: the document lives as long as the latest thing it remembers. */
function expiry(now: number): Stage {
  const latest = [now, '$failuresUntil', '$blocksUntil', { $max: '$inFlight.until' }];
  return { $set: { expireAt: { $toDate: { $max: latest } } } };
}

const wholeSeconds = (milliseconds: number) => Math.max(1, Math.ceil(milliseconds / 1000));

// Long only as the sum of admit, fail and leave, which share one document and its rules.
export function createFailureGate(
  gates: LoginGateModel,
  name: string,
  setting: LimitSetting,
  options: { blocks: boolean },
): FailureGate {
  const collection = loginGateCollection(gates);
  const windowMs = setting.windowSeconds * 1000;
  const idOf = (key: string) => `${name}:${key}`;

  function refusal(gate: LoginGateRecord, now: number): Admission {
    return {
      kind: 'refused',
      state: {
        limit: setting.max,
        remaining: 0,
        resetSeconds: wholeSeconds(gate.failuresUntil - now),
        windowSeconds: setting.windowSeconds,
      },
    };
  }

  /** Counts a failure; the one that reaches the limit blocks the key at once, in one write. */
  function failureStages(checkId: string, now: number): Stage[] {
    const counted: Stage = {
      $set: {
        // A first failure opens the window; later ones fall inside it.
        failuresUntil: { $cond: [{ $eq: ['$failures', 0] }, now + windowMs, '$failuresUntil'] },
        failures: { $add: ['$failures', 1] },
        inFlight: { $filter: { input: '$inFlight', cond: { $ne: ['$$this.id', checkId] } } },
      },
    };
    if (!options.blocks) return [counted];
    const reached = { $eq: ['$failures', setting.max] };
    // Counted from 0, read after the stage that counts the new block.
    const nthBlock = { $subtract: ['$blocks', 1] };
    return [
      counted,
      {
        $set: {
          blocksUntil: {
            $cond: [{ $and: [reached, { $eq: ['$blocks', 0] }] }, now + windowMs, '$blocksUntil'],
          },
          blocks: { $cond: [reached, { $add: ['$blocks', 1] }, '$blocks'] },
        },
      },
      {
        $set: {
          // A blocked key keeps its failures, so it is refused, until the block ends.
          failuresUntil: {
            $cond: [
              reached,
              {
                $add: [
                  now,
                  { $arrayElemAt: [BLOCK_MS, { $min: [nthBlock, BLOCK_MS.length - 1] }] },
                ],
              },
              '$failuresUntil',
            ],
          },
        },
      },
    ];
  }

  return {
    admit: (key) =>
      withLimiterStore(async () => {
        const checkId = randomBytes(12).toString('hex');
        const now = Date.now();
        // One atomic update decides and takes the place: a failure recorded by another
        // instance is either counted here or sees this check in flight, never neither.
        const allowed = { $lt: [{ $add: ['$failures', { $size: '$inFlight' }] }, setting.max] };
        const place = [{ id: checkId, until: now + IN_FLIGHT_MS }];
        const record = await collection.findOneAndUpdate(
          { _id: idOf(key) },
          [
            current(now),
            {
              $set: {
                inFlight: {
                  $cond: [allowed, { $concatArrays: ['$inFlight', place] }, '$inFlight'],
                },
              },
            },
            expiry(now),
          ],
          { upsert: true, returnDocument: 'after' },
        );
        if (record?.inFlight.some((check) => check.id === checkId)) {
          return { kind: 'admitted', checkId };
        }
        // Refused without counting: attempts made while blocked do not extend the block.
        if (record && record.failures >= setting.max) return refusal(record, now);
        return { kind: 'busy' };
      }),

    fail: (key, checkId) =>
      withLimiterStore(async () => {
        const now = Date.now();
        const gate = await collection.findOneAndUpdate(
          { _id: idOf(key) },
          [current(now), ...failureStages(checkId, now), expiry(now)],
          { upsert: true, returnDocument: 'after' },
        );
        return options.blocks && gate?.failures === setting.max;
      }),

    leave(key, checkId, outcome) {
      const pull = { $pull: { inFlight: { id: checkId } } };
      const update =
        outcome === 'success' && options.blocks
          ? { ...pull, $set: { failures: 0, blocks: 0 } }
          : pull;
      return { updateOne: { filter: { _id: idOf(key) }, update } };
    },

    forget: (keys) =>
      withLimiterStore(async () => {
        // An anchored pattern the _id index can serve. Checks in flight are left alone: they
        // give their place back themselves.
        const tail =
          'exact' in keys ? `${escapeRegExp(keys.exact)}$` : escapeRegExp(keys.startingWith);
        await collection.updateMany(
          { _id: { $regex: new RegExp(`^${escapeRegExp(name)}:${tail}`) } },
          { $set: { failures: 0, blocks: 0 } },
        );
      }),
  };
}
