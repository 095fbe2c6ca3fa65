import type { Types } from 'mongoose';
import type { AccountTokenRecord } from '../models/account-token';
import type { UserRecord } from '../models/user';
import { isDuplicateKeyError } from '../db/mongo-errors';
import { mailToken, sendVerificationMail } from './account-mail';
import type { Caller } from './audit';
import { checkCurrentPassword } from './current-password';
import type { CoreDeps } from './deps';
import { KeycardError, ValidationError } from './errors';
import { toPublicUser, type PublicUser } from './public-user';
import { consumePoint } from './rate-limiter';
import { revokeAllSessions } from './sessions';

/** The signed-in session asking, as the email change needs it. */
export interface SessionHolder {
  userId: Types.ObjectId;
  email: string;
  sessionId: Types.ObjectId;
}

export interface EmailChange {
  newEmail: string;
  password: string;
}

export interface EmailAddressService {
  /** Confirms the address a verification or email-change link was sent to. */
  verify(token: string, caller: Caller): Promise<PublicUser>;
  resendVerification(userId: Types.ObjectId, caller: Caller): Promise<void>;
  requestChange(holder: SessionHolder, change: EmailChange, caller: Caller): Promise<void>;
}

const invalidToken = () => new KeycardError('invalid_verification_token');

// Long only as the sum of its methods, each short, which share these dependencies.
export function createEmailAddressService(deps: CoreDeps): EmailAddressService {
  const { users, accountTokens } = deps;

  async function confirmAddress(claimed: AccountTokenRecord): Promise<PublicUser> {
    // Void once the account has moved to another address since the link was mailed.
    const user = await users
      .findOneAndUpdate(
        { _id: claimed.userId, email: claimed.email },
        { $set: { emailVerified: true } },
        { returnDocument: 'after' },
      )
      .lean<UserRecord>();
    if (!user) throw invalidToken();
    // What authenticate keeps of the user (emailVerified) changed: every instance must drop it.
    await deps.revocations.userChanged(user._id);
    return toPublicUser(user);
  }

  async function switchAddress(claimed: AccountTokenRecord, caller: Caller): Promise<PublicUser> {
    const newEmail = claimed.newEmail as string;
    let user: UserRecord | null;
    try {
      user = await users
        .findOneAndUpdate(
          { _id: claimed.userId, email: claimed.email },
          { $set: { email: newEmail, emailVerified: true } },
          { returnDocument: 'after' },
        )
        .lean<UserRecord>();
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      // Taken in the meantime: nothing changes, and the link keeps working should it free up.
      await accountTokens.release(claimed);
      throw new KeycardError('email_taken');
    }
    if (!user) throw invalidToken();
    const userId = user._id;
    // Sessions other than the one that asked may belong to whoever the change locks out.
    await revokeAllSessions(deps, userId, claimed.sessionId ? { except: claimed.sessionId } : {});
    // Links mailed to the old address must not act on the account any more.
    await accountTokens.revoke(userId, ['password_reset', 'email_verification']);
    await deps.outbox.enqueue({
      to: claimed.email,
      template: 'email_changed',
      values: { name: user.name, newEmail },
      userId,
    });
    caller.audit('email_changed', {
      userId: userId.toHexString(),
      from: claimed.email,
      to: newEmail,
    });
    return toPublicUser(user);
  }

  return {
    async verify(token, caller) {
      const claimed = await accountTokens.claim(token, ['email_verification', 'email_change']);
      if (!claimed) throw invalidToken();
      if (claimed.purpose === 'email_change') return switchAddress(claimed, caller);
      const user = await confirmAddress(claimed);
      caller.audit('email_verified', { userId: user.id, email: user.email });
      return user;
    },

    async resendVerification(userId, caller) {
      const user = await users.findById(userId).lean<UserRecord>();
      if (!user) throw new KeycardError('account_deleted');
      if (user.emailVerified) throw new KeycardError('already_verified');
      await consumePoint(deps.mailPerAccount, `email_verification:${userId.toHexString()}`);
      await sendVerificationMail(deps, user);
      caller.audit('email_verification_requested', { userId: userId.toHexString() });
    },

    async requestChange(holder, { newEmail, password }, caller) {
      const user = await checkCurrentPassword(deps, holder, password, caller);
      if (newEmail === user.email) {
        throw new ValidationError([{ path: 'newEmail', message: 'is already the account email' }]);
      }
      if (await users.exists({ email: newEmail })) throw new KeycardError('email_taken');
      // A mail to an address of the caller's choosing: limited, so no one is flooded with them.
      await consumePoint(deps.mailPerAccount, `email_change:${holder.userId.toHexString()}`);
      await mailToken(
        deps,
        {
          userId: user._id,
          purpose: 'email_change',
          email: user.email,
          newEmail,
          sessionId: holder.sessionId,
          ttlSeconds: deps.tokenLifetimes.emailVerificationSeconds,
        },
        {
          to: newEmail,
          template: 'email_change',
          values: { name: user.name, newEmail },
          path: '/verify-email',
        },
      );
      caller.audit('email_change_requested', {
        userId: holder.userId.toHexString(),
        from: user.email,
        to: newEmail,
      });
    },
  };
}
