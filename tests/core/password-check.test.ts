import mongoose from 'mongoose';
import type { Caller } from '../../src/core/audit';
import { KeycardError } from '../../src/core/errors';
import type { Outcome } from '../../src/core/failure-gate';
import type { LoginThrottle, PasswordAttempt } from '../../src/core/login-throttle';
import { throttledPasswordCheck } from '../../src/core/password-check';
import { isSettled } from '../helpers/settled';

// A check that dies reports 'aborted' to the throttle. Whether its answer waits for that
// report decides how long an outage answer takes: the report goes to the same database.

const attempt: PasswordAttempt = { gates: [] };
const caller: Caller = {
  ip: '127.0.0.1',
  rateLimitKey: '127.0.0.1',
  userAgent: 'test',
  audit: () => undefined,
};

/** A throttle whose reports stay pending until `settle` is called. */
function slowThrottle() {
  const reports: Outcome[] = [];
  let settle: () => void = () => undefined;
  const settled = new Promise<void>((resolve) => {
    settle = resolve;
  });
  const throttle: LoginThrottle = {
    beginAttempt: async () => ({ allowed: true, attempt }),
    finishAttempt: async (_attempt, outcome) => {
      reports.push(outcome);
      await settled;
      return false;
    },
    clearEmail: async () => undefined,
  };
  return { throttle, reports, settle };
}

/** A check that dies with `failure` after the throttle let it in. */
function dyingCheck(throttle: LoginThrottle, failure: Error): Promise<string> {
  return throttledPasswordCheck(
    throttle,
    { email: 'a@example.com' },
    caller,
    () => Promise.reject(failure),
    async () => 'unused',
  );
}

const databaseErrors: [string, Error][] = [
  ['from the driver', new mongoose.mongo.MongoNetworkError('connection closed')],
  ['from the limiter store', new KeycardError('database_unavailable')],
];

describe('throttledPasswordCheck, when the check dies', () => {
  it.each(databaseErrors)(
    'answers with a database error %s without waiting for the aborted report',
    async (_where, failure) => {
      const { throttle, reports, settle } = slowThrottle();
      const result = dyingCheck(throttle, failure);
      expect(await isSettled(result)).toBe(true);
      await expect(result).rejects.toBe(failure);
      expect(reports).toEqual(['aborted']);
      settle();
    },
  );

  it('waits for the aborted report after any other error, so the place is free at the answer', async () => {
    const { throttle, reports, settle } = slowThrottle();
    const failure = new Error('worker stopped');
    const result = dyingCheck(throttle, failure);
    expect(await isSettled(result)).toBe(false);
    expect(reports).toEqual(['aborted']);
    settle();
    await expect(result).rejects.toBe(failure);
  });

  it('still throws the check’s own error when the report itself fails', async () => {
    const failure = new Error('worker stopped');
    const throttle: LoginThrottle = {
      beginAttempt: async () => ({ allowed: true, attempt }),
      finishAttempt: () => Promise.reject(new KeycardError('database_unavailable')),
      clearEmail: async () => undefined,
    };
    await expect(dyingCheck(throttle, failure)).rejects.toBe(failure);
  });
});
