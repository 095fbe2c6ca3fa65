import type { Types } from 'mongoose';
import type { UserDocument } from '../models/user';
import type { Caller } from './audit';
import { fitsBcrypt } from './credentials';
import type { CoreDeps } from './deps';
import { InvalidCredentialsError } from './errors';
import type { PasswordHasher } from './password-hasher';
import { throttledPasswordCheck } from './password-check';

/**
 * Compares in the worker pool, fairly shared by client. bcrypt would compare only the first 72
 * bytes, so a longer candidate could match a stored 72-byte password it merely starts with:
 * it never matches, here as at login.
 */
export async function passwordMatches(
  hasher: PasswordHasher,
  candidate: string,
  hash: string,
  clientKey: string,
): Promise<boolean> {
  const matches = await hasher.compare(candidate, hash, clientKey);
  return matches && fitsBcrypt(candidate);
}

/**
 * The signed-in user's account, once `candidate` proved to be its current password (a password
 * or email change asks for it). Throttled like a login: a stolen access token must not become
 * unlimited guesses at the password.
 */
export function checkCurrentPassword(
  deps: Pick<CoreDeps, 'users' | 'hasher' | 'loginThrottle'>,
  holder: { userId: Types.ObjectId; email: string },
  candidate: string,
  caller: Caller,
): Promise<UserDocument> {
  return throttledPasswordCheck(
    deps.loginThrottle,
    { email: holder.email },
    caller,
    async () => {
      const found = await deps.users.findById(holder.userId).select('+password');
      const matches =
        found !== null &&
        (await passwordMatches(deps.hasher, candidate, found.password, caller.rateLimitKey));
      if (!found || !matches) throw new InvalidCredentialsError();
      return found;
    },
    async (found) => found,
  );
}
