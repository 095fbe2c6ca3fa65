import type { Caller } from './audit';
import { InvalidCredentialsError, RateLimitedError } from './errors';
import { cleanUpAfter } from './failure-cleanup';
import type { LoginThrottle } from './login-throttle';

/**
 * Runs a password check (login, or the current password of a password change) under the
 * login throttle: refused while locked out, and counted as a failure only when the password
 * was wrong; a check that dies for any other reason (a worker stopping, the database going
 * away) gives its place back (see cleanUpAfter for when the answer waits for that). `then`
 * runs with the checked result while the throttle records the success, so the two database
 * waits overlap.
 */
export async function throttledPasswordCheck<T, R>(
  throttle: LoginThrottle,
  subject: { email: string; deviceId?: string },
  caller: Caller,
  check: () => Promise<T>,
  then: (result: T) => Promise<R>,
): Promise<R> {
  const verdict = await throttle.beginAttempt({ ...subject, clientKey: caller.rateLimitKey });
  if (!verdict.allowed) throw new RateLimitedError(verdict.state);
  const { email } = subject;
  let result: T;
  try {
    result = await check();
  } catch (error) {
    if (error instanceof InvalidCredentialsError) {
      caller.audit('login_failure', { email });
      if (await throttle.finishAttempt(verdict.attempt, 'failure')) {
        caller.audit('lockout', { email });
      }
    } else {
      // A report lost with the database leaves a place that lapses by itself.
      await cleanUpAfter(error, () => throttle.finishAttempt(verdict.attempt, 'aborted'));
    }
    throw error;
  }
  // A success that cannot be recorded only leaves earlier failures counted: stricter, never
  // looser, so it does not fail the request.
  const recorded = throttle.finishAttempt(verdict.attempt, 'success').catch(() => false);
  const [outcome] = await Promise.all([then(result), recorded]);
  return outcome;
}
