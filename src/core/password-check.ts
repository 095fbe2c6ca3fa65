import type { Caller } from './audit';
import { InvalidCredentialsError, RateLimitedError } from './errors';
import type { LoginThrottle } from './login-throttle';

/**
 * Runs a password check (login, or the current password of a password change) under the
 * login throttle: refused while locked out, counted as a failure unless it succeeds.
 */
export async function throttledPasswordCheck<T>(
  throttle: LoginThrottle,
  email: string,
  caller: Caller,
  check: () => Promise<T>,
): Promise<T> {
  const verdict = await throttle.beginAttempt(email, caller.rateLimitKey);
  if (!verdict.allowed) throw new RateLimitedError(verdict.state);
  let result: T;
  try {
    result = await check();
  } catch (error) {
    if (error instanceof InvalidCredentialsError) {
      caller.audit('login_failure', { email });
      if (await throttle.recordFailure(verdict.attempt)) caller.audit('lockout', { email });
    }
    throw error;
  }
  await throttle.recordSuccess(verdict.attempt);
  return result;
}
