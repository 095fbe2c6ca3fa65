import { randomBytes } from 'node:crypto';
import type { Types } from 'mongoose';
import { isDuplicateKeyError } from '../db/mongo-errors';
import type { UserDocument, UserModel } from '../models/user';
import type { Caller } from './audit';
import { fitsBcrypt, type LoginInput, type RegisterInput } from './credentials';
import type { CoreDeps } from './deps';
import { InvalidCredentialsError, KeycardError } from './errors';
import type { PasswordHasher } from './password-hasher';
import { throttledPasswordCheck } from './password-check';
import { toPublicUser, type PublicUser } from './public-user';
import { revokeAllSessions, startSession } from './sessions';
import { signIn, type SignedIn } from './sign-in';

/** The account an access token was checked for, as the password change needs it. */
export interface AccountHolder {
  userId: Types.ObjectId;
  email: string;
  sessionId: Types.ObjectId;
}

export interface PasswordChange {
  currentPassword: string;
  newPassword: string;
}

export interface AccountService {
  register(input: RegisterInput, caller: Caller): Promise<SignedIn>;
  login(input: LoginInput, caller: Caller): Promise<SignedIn>;
  changePassword(holder: AccountHolder, change: PasswordChange, caller: Caller): Promise<void>;
  rename(userId: Types.ObjectId, name: string): Promise<PublicUser>;
}

/** A hash of a random password at the configured cost, compared against for unknown emails. */
export function createDummyHash(hasher: PasswordHasher): Promise<string> {
  return hasher.hash(randomBytes(32).toString('base64url'));
}

async function createUser(users: UserModel, input: RegisterInput): Promise<UserDocument> {
  try {
    // Only the three validated fields reach the model: role, _id and the rest are never
    // taken from the request, so every account starts with the default role.
    return await users.create({ name: input.name, email: input.email, password: input.password });
  } catch (error) {
    // The unique index decides, so two simultaneous sign-ups with one address cannot both win.
    if (isDuplicateKeyError(error)) throw new KeycardError('email_taken');
    throw error;
  }
}

/** The account for these credentials, or InvalidCredentialsError for any mismatch. */
async function verifyPassword(
  deps: Pick<CoreDeps, 'users' | 'hasher' | 'dummyHash'>,
  input: LoginInput,
): Promise<UserDocument> {
  const { users, hasher } = deps;
  const user = await users.findOne({ email: input.email }).select('+password');
  // An unknown email still costs one full bcrypt comparison, so response time does not tell
  // an attacker which addresses have accounts.
  const matches = user
    ? await user.comparePassword(input.password)
    : await hasher.compare(input.password, await deps.dummyHash).then(() => false);
  // bcrypt would compare only the first 72 bytes, so a longer candidate could match a stored
  // 72-byte password it merely starts with.
  if (!user || !matches || !fitsBcrypt(input.password)) throw new InvalidCredentialsError();

  if (hasher.costOf(user.password) < hasher.cost) {
    // The plain password is only known here: upgrade hashes made under an older, cheaper cost.
    user.password = input.password;
    await user.save();
  }
  return user;
}

export function createAccountService(deps: CoreDeps): AccountService {
  const { users, tokens, loginThrottle } = deps;

  return {
    async register(input, caller) {
      const user = await createUser(users, input);
      caller.audit('register', { userId: user.id as string, email: user.email });
      try {
        return signIn(tokens, user, await startSession(deps, user._id, caller));
      } catch (error) {
        // A failed request writes nothing: no account left behind without its first session.
        await users.deleteOne({ _id: user._id });
        throw error;
      }
    },

    async login(input, caller) {
      const user = await throttledPasswordCheck(loginThrottle, input.email, caller, () =>
        verifyPassword(deps, input),
      );
      caller.audit('login_success', { userId: user.id as string, email: user.email });
      return signIn(tokens, user, await startSession(deps, user._id, caller));
    },

    async changePassword(holder, change, caller) {
      // A stolen access token must not become unlimited guesses at the current password.
      const user = await throttledPasswordCheck(loginThrottle, holder.email, caller, async () => {
        const found = await users.findById(holder.userId).select('+password');
        if (!found || !(await found.comparePassword(change.currentPassword))) {
          throw new InvalidCredentialsError();
        }
        return found;
      });
      user.password = change.newPassword;
      await user.save();
      // Whoever else holds a session may be the reason for the change: end every other one,
      // keep the one that proved it knows the current password.
      await revokeAllSessions(deps, user._id, { except: holder.sessionId });
      caller.audit('password_change', { userId: holder.userId.toHexString() });
    },

    async rename(userId, name) {
      const user = await users
        .findByIdAndUpdate(
          userId,
          { $set: { name } },
          { returnDocument: 'after', runValidators: true },
        )
        .lean();
      if (!user) throw new KeycardError('account_deleted');
      return toPublicUser(user);
    },
  };
}
