import type { Request, Response } from 'express';
import { audit } from '../audit';
import { HttpError } from '../errors';
import type { LoginThrottle } from './login-throttle';

/**
 * Runs a password check (login, or the current password of a password change) under the
 * login throttle: refused while locked out, counted as a failure unless it succeeds.
 */
export async function throttledPasswordCheck<T>(
  deps: { loginThrottle: LoginThrottle },
  req: Request,
  res: Response,
  email: string,
  check: () => Promise<T>,
): Promise<T> {
  const attempt = await deps.loginThrottle.beginAttempt(res, email, req.ip);
  let result: T;
  try {
    result = await check();
  } catch (error) {
    if (error instanceof HttpError && error.code === 'invalid_credentials') {
      audit(req, 'login_failure', { email });
      if (await deps.loginThrottle.recordFailure(attempt)) audit(req, 'lockout', { email });
    }
    throw error;
  }
  await deps.loginThrottle.recordSuccess(attempt);
  return result;
}
