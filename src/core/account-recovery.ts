import type { UserRecord } from '../models/user';
import { mailDecoy, mailToken, sendPasswordChangedNotice, type TokenMail } from './account-mail';
import type { Caller } from './audit';
import type { CoreDeps } from './deps';
import { KeycardError } from './errors';
import { cleanUpAfter } from './failure-cleanup';
import { consumePoint } from './rate-limiter';
import { endAllSessions } from './sessions';

export interface PasswordReset {
  token: string;
  newPassword: string;
}

export interface RecoveryService {
  /** Mails a reset link when the address has an account; says nothing either way. */
  forgotPassword(email: string, caller: Caller): Promise<void>;
  resetPassword(reset: PasswordReset, caller: Caller): Promise<void>;
}

export function createRecoveryService(deps: CoreDeps): RecoveryService {
  const { users, accountTokens } = deps;

  return {
    async forgotPassword(email, caller) {
      // Counted per address whether or not it has an account, so the limit reveals nothing.
      await consumePoint(deps.mailPerAccount, `password_reset:${email}`);
      const user = await users.findOne({ email }).lean<UserRecord>();
      const spec = {
        purpose: 'password_reset' as const,
        email,
        ttlSeconds: deps.tokenLifetimes.passwordResetSeconds,
      };
      const mail: TokenMail = {
        to: email,
        template: 'password_reset',
        values: { name: user?.name ?? '' },
        path: '/reset-password',
      };
      // Known or not, the same work and the same round trips: the response time tells nothing.
      if (user) await mailToken(deps, { ...spec, userId: user._id }, mail);
      else await mailDecoy(deps, spec, mail);
      caller.audit(
        'password_reset_requested',
        user ? { userId: user._id.toHexString(), email } : { email, account: 'none' },
      );
    },

    async resetPassword({ token, newPassword }, caller) {
      const claimed = await accountTokens.claim(token, ['password_reset']);
      if (!claimed) throw new KeycardError('invalid_reset_token');
      // The link was mailed to this address: if the account moved to another since, it is void.
      const user = await users.findOne({ _id: claimed.userId, email: claimed.email });
      if (!user) throw new KeycardError('invalid_reset_token');
      user.password = newPassword;
      // Following the link proved the mailbox, as a verification link would have.
      user.emailVerified = true;
      // In the same write as the new password: a login that checked the old one is born dead.
      user.$inc('credentialsVersion', 1);
      try {
        await user.save();
      } catch (error) {
        // Nothing changed: the link may be used again.
        await cleanUpAfter(error, () => accountTokens.release(claimed));
        throw error;
      }
      // Every session ends, and a login that checked the old password in flight is born dead.
      await endAllSessions(deps, user._id);
      await deps.loginThrottle.clearEmail(user.email);
      // Whoever knew the old password may have started moving the account to their address.
      await accountTokens.revoke(user._id, ['email_change']);
      await sendPasswordChangedNotice(deps, user);
      caller.audit('password_reset', { userId: user._id.toHexString(), email: user.email });
    },
  };
}
