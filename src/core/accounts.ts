import { randomBytes } from 'node:crypto';
import type { Types } from 'mongoose';
import { isDuplicateKeyError } from '../db/mongo-errors';
import type { UserDocument, UserModel, UserRecord } from '../models/user';
import type { Caller } from './audit';
import { sendPasswordChangedNotice, sendVerificationMail } from './account-mail';
import type { LoginInput, RegisterInput } from './credentials';
import { checkCurrentPassword, passwordMatches } from './current-password';
import type { CoreDeps } from './deps';
import { InvalidCredentialsError, KeycardError } from './errors';
import { cleanUpAfter } from './failure-cleanup';
import type { PasswordHasher } from './password-hasher';
import { throttledPasswordCheck } from './password-check';
import { toPublicUser, type PublicUser } from './public-user';
import { revokeAllSessions, revokeSession, startSession } from './sessions';
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

/** A user as a login reads it: a plain object, with the password hash. */
type StoredUser = UserRecord & { password: string };

/** The account for these credentials, or InvalidCredentialsError for any mismatch. */
async function verifyPassword(
  deps: Pick<CoreDeps, 'users' | 'hasher' | 'dummyHash'>,
  input: LoginInput,
  clientKey: string,
  stored: Promise<StoredUser | null>,
): Promise<StoredUser> {
  const { users, hasher } = deps;
  const user = await stored;
  // An unknown email still costs one full bcrypt comparison, so response time does not tell
  // an attacker which addresses have accounts.
  const matches = user
    ? await passwordMatches(hasher, input.password, user.password, clientKey)
    : await hasher.compare(input.password, await deps.dummyHash, clientKey).then(() => false);
  if (!user || !matches) throw new InvalidCredentialsError();

  if (hasher.costOf(user.password) < hasher.cost) {
    // The plain password is only known here: upgrade hashes made under an older, cheaper cost,
    // but only if the hash is still the one just checked, so that a password changed in the
    // meantime is never overwritten with the old one.
    const upgraded = await hasher.hash(input.password, clientKey);
    await users.updateOne(
      { _id: user._id, password: user.password },
      { $set: { password: upgraded } },
    );
  }
  return user;
}

// Long only as the sum of its methods, each a few lines, which share these dependencies.
export function createAccountService(deps: CoreDeps): AccountService {
  const { users, tokens, loginThrottle, deviceTokens } = deps;

  /** Everything a new account gets besides itself; undone with it when any part fails. */
  async function welcome(user: UserDocument, caller: Caller): Promise<SignedIn> {
    try {
      const issued = await startSession(deps, user, caller);
      await sendVerificationMail(deps, user);
      return signIn(tokens, user, issued, deviceTokens.issue(user.email));
    } catch (error) {
      // A failed request writes nothing: no account left behind without its first session.
      await cleanUpAfter(error, () =>
        Promise.all([
          revokeAllSessions(deps, user._id),
          deps.accountTokens.revoke(user._id, ['email_verification']),
          users.deleteOne({ _id: user._id }),
        ]),
      );
      throw error;
    }
  }

  /** A session for a user whose password was checked at their current credentials version. */
  async function signInChecked(user: UserRecord, caller: Caller): Promise<SignedIn> {
    // A password change that answered while this login was comparing has made the password
    // it checked stale: the session it would get is dead already, so say so now.
    const [issued, now] = await Promise.all([
      startSession(deps, user, caller),
      users.findById(user._id).select('credentialsVersion').lean<{ credentialsVersion?: number }>(),
    ]);
    // Accounts stored before the field existed read as version 0.
    if ((now?.credentialsVersion ?? 0) !== (user.credentialsVersion ?? 0)) {
      await revokeSession(deps, issued.session._id, user._id);
      throw new InvalidCredentialsError();
    }
    return signIn(tokens, user, issued, deviceTokens.issue(user.email));
  }

  return {
    async register(input, caller) {
      const user = await createUser(users, input);
      const signedIn = await welcome(user, caller);
      caller.audit('register', { userId: user.id as string, email: user.email });
      caller.audit('email_verification_requested', { userId: user.id as string });
      return signedIn;
    },

    async login(input, caller) {
      const deviceId = deviceTokens.deviceIdFor(caller.deviceToken, input.email);
      // Read while the throttle decides; unused when it refuses. A plain object: nothing here
      // saves it, and hydrating a document would cost more than the read.
      const stored = users
        .findOne({ email: input.email })
        .select('+password')
        .lean<StoredUser>()
        .exec();
      stored.catch(() => undefined);
      return throttledPasswordCheck(
        loginThrottle,
        { email: input.email, deviceId },
        caller,
        () => verifyPassword(deps, input, caller.rateLimitKey, stored),
        async (user) => {
          // Only after the password proved right: to anyone who does not know it, an
          // unverified account answers exactly like any other wrong guess.
          if (deps.requireEmailVerification && !user.emailVerified) {
            caller.audit('login_unverified', {
              userId: user._id.toHexString(),
              email: user.email,
            });
            throw new KeycardError('email_not_verified');
          }
          const signedIn = await signInChecked(user, caller);
          caller.audit('login_success', { userId: user._id.toHexString(), email: user.email });
          return signedIn;
        },
      );
    },

    async changePassword(holder, change, caller) {
      const user = await checkCurrentPassword(deps, holder, change.currentPassword, caller);
      const nextVersion = (user.credentialsVersion ?? 0) + 1;
      // The session that proved it knows the current password moves on first, so it is never
      // behind the user, even for a moment.
      await deps.sessions.updateOne(
        { _id: holder.sessionId, userId: holder.userId },
        { $set: { credentialsVersion: nextVersion } },
      );
      user.password = change.newPassword;
      // One write: whoever checked the old password before this moment holds a session of an
      // older version, which authenticate and refresh refuse.
      user.$inc('credentialsVersion', 1);
      await user.save();
      // Whoever else holds a session may be the reason for the change: end every other one.
      await revokeAllSessions(deps, user._id, { except: holder.sessionId });
      // Whoever knew the old password may have started moving the account to their address.
      await deps.accountTokens.revoke(user._id, ['email_change']);
      await sendPasswordChangedNotice(deps, user);
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
      await deps.revocations.userChanged(userId);
      return toPublicUser(user);
    },
  };
}
