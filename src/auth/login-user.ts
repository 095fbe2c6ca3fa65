import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import { HttpError } from '../errors';
import type { UserDocument, UserModel } from '../models/user';
import type { loginSchema } from './credential-schemas';
import type { PasswordHasher } from './password-hasher';

export type LoginInput = z.output<typeof loginSchema>;

const BCRYPT_MAX_BYTES = 72;

export interface LoginDeps {
  users: UserModel;
  hasher: PasswordHasher;
  dummyHash: Promise<string>;
}

/** A hash of a random password at the configured cost, compared against for unknown emails. */
export function createDummyHash(hasher: PasswordHasher): Promise<string> {
  return hasher.hash(randomBytes(32).toString('base64url'));
}

export function invalidCredentials(): HttpError {
  return new HttpError(401, 'invalid_credentials', 'Invalid email or password');
}

export async function loginUser(deps: LoginDeps, input: LoginInput): Promise<UserDocument> {
  const user = await deps.users.findOne({ email: input.email }).select('+password');
  // An unknown email still costs one full bcrypt comparison, so response time does not tell
  // an attacker which addresses have accounts.
  const matches = user
    ? await user.comparePassword(input.password)
    : await deps.hasher.compare(input.password, await deps.dummyHash).then(() => false);
  // bcrypt would compare only the first 72 bytes, so a longer candidate could match a stored
  // 72-byte password it merely starts with.
  const fits = Buffer.byteLength(input.password, 'utf8') <= BCRYPT_MAX_BYTES;
  if (!user || !matches || !fits) throw invalidCredentials();

  if (deps.hasher.costOf(user.password) < deps.hasher.cost) {
    // The plain password is only known here: upgrade hashes made under an older, cheaper cost.
    user.password = input.password;
    await user.save();
  }
  return user;
}
