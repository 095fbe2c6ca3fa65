import type { KeyObject } from 'node:crypto';
import type { SessionModel } from '../models/session';
import type { UserModel } from '../models/user';
import type { AuthCache } from './auth-cache';
import type { DeviceTokens } from './device-tokens';
import type { Revocations } from './revocations';
import type { AccountTokenLifetimes, AccountTokens } from './account-tokens';
import type { MailOutbox } from './mail/outbox';
import type { Limiter } from './rate-limiter';
import type { LoginThrottle } from './login-throttle';
import type { PasswordHasher } from './password-hasher';
import type { TokenService } from './tokens';

/** What the services are built from: the models and the pieces with keys or state of their own. */
export interface CoreDeps {
  users: UserModel;
  sessions: SessionModel;
  hasher: PasswordHasher;
  /** A hash of a random password, compared against when an email has no account. */
  dummyHash: Promise<string>;
  tokens: TokenService;
  loginThrottle: LoginThrottle;
  deviceTokens: DeviceTokens;
  /** Derives refresh-token successors; separate from the signing key by construction. */
  refreshKey: KeyObject;
  previousRefreshKeys: readonly KeyObject[];
  refreshTokenTtlSeconds: number;
  /** Every change that ends sessions or changes a user goes through here (and the cache). */
  revocations: Revocations;
  cache: AuthCache;
  /** The links mailed for password resets, email verification and email changes. */
  accountTokens: AccountTokens;
  tokenLifetimes: AccountTokenLifetimes;
  outbox: MailOutbox;
  /** The frontend the mailed links point to, without a trailing slash. */
  appUrl: string;
  /** Mails a client may cause per email address (forgot) or per account (resend, change). */
  mailPerAccount: Limiter;
  requireEmailVerification: boolean;
}
