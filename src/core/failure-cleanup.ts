import { isDatabaseUnavailable } from '../db/mongo-errors';
import { KeycardError } from './errors';

function databaseAway(error: unknown): boolean {
  return (
    isDatabaseUnavailable(error) ||
    (error instanceof KeycardError && error.code === 'database_unavailable')
  );
}

/**
 * Undoes what a failed request wrote. The answer waits for it, so that nothing is left behind
 * when the client hears of the failure, except when the failure was the database being away:
 * the cleanup would then wait as long again for the same database, so it goes on behind the
 * answer and succeeds if the database comes back in time. Its own errors never replace the
 * one that failed the request.
 */
export async function cleanUpAfter(error: unknown, cleanup: () => Promise<unknown>): Promise<void> {
  const done = Promise.resolve()
    .then(cleanup)
    .catch(() => undefined);
  if (!databaseAway(error)) await done;
}
