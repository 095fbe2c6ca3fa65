import mongoose from 'mongoose';
import { KeycardError } from '../../src/core/errors';
import { cleanUpAfter } from '../../src/core/failure-cleanup';
import { isSettled } from '../helpers/settled';

/** A cleanup that runs until `finish` is called. */
function pendingCleanup() {
  let finish: () => void = () => undefined;
  const cleanup = jest.fn(
    () =>
      new Promise<void>((resolve) => {
        finish = resolve;
      }),
  );
  return { cleanup, finish: () => finish() };
}

describe('cleanUpAfter', () => {
  it('waits for the cleanup after a failure that is not the database', async () => {
    const { cleanup, finish } = pendingCleanup();
    const cleaning = cleanUpAfter(new Error('mail queue refused'), cleanup);
    expect(await isSettled(cleaning)).toBe(false);
    finish();
    await cleaning;
    expect(cleanup).toHaveBeenCalledTimes(1);
  });

  it.each([
    ['the driver', new mongoose.mongo.MongoNetworkError('connection closed')],
    ['a limiter store', new KeycardError('database_unavailable')],
  ])(
    'starts the cleanup but does not wait for it when %s says the database is away',
    async (_from, failure) => {
      const { cleanup, finish } = pendingCleanup();
      expect(await isSettled(cleanUpAfter(failure, cleanup))).toBe(true);
      expect(cleanup).toHaveBeenCalledTimes(1);
      finish();
    },
  );

  it.each([
    ['rejects', () => Promise.reject(new Error('delete failed'))],
    [
      'throws before returning a promise',
      () => {
        throw new Error('delete failed');
      },
    ],
  ])(
    'resolves when the cleanup %s, so the request’s own error is the one thrown',
    async (_how, cleanup) => {
      await expect(cleanUpAfter(new Error('mail queue refused'), cleanup)).resolves.toBeUndefined();
      await expect(
        cleanUpAfter(new KeycardError('database_unavailable'), cleanup),
      ).resolves.toBeUndefined();
    },
  );
});
