import type { Types } from 'mongoose';
import { isActive, matchesCredentials } from '../models/session';
import type { UserRecord } from '../models/user';
import type { SessionState } from './auth-cache';
import type { CoreDeps } from './deps';
import { KeycardError } from './errors';
import { parseObjectId } from './object-id';
import type { AccessTokenClaims } from './tokens';

/** Who a request is from, once its access token and their session have been checked. */
export interface Authenticated {
  user: UserRecord;
  claims: AccessTokenClaims;
  userId: Types.ObjectId;
  sessionId: Types.ObjectId;
}

export type Authenticator = (accessToken: string) => Promise<Authenticated>;

// All authenticate needs of a session; the token hashes stay in the database.
const SESSION_STATE = { userId: 1, revokedAt: 1, expiresAt: 1, credentialsVersion: 1 };

export function createAuthenticator(
  deps: Pick<CoreDeps, 'tokens' | 'users' | 'sessions' | 'cache'>,
) {
  return async function authenticate(accessToken: string): Promise<Authenticated> {
    const claims = deps.tokens.verifyAccessToken(accessToken);
    const userId = parseObjectId(claims.sub);
    const sessionId = parseObjectId(claims.sid);
    if (!userId || !sessionId) throw new KeycardError('invalid_token');
    // Both on every request, in parallel, through the per-instance cache: a deleted account,
    // a role changed by an admin and a revoked session (logout, password change) take effect
    // at once on the instance that made the change and within AUTH_CACHE_MAX_STALENESS on
    // every other one, not when the token expires.
    const [user, session] = await Promise.all([
      deps.cache.user(claims.sub, () => deps.users.findById(userId).lean<UserRecord>()),
      deps.cache.session(claims.sid, () =>
        deps.sessions.findById(sessionId, SESSION_STATE).lean<SessionState>(),
      ),
    ]);
    if (!user) throw new KeycardError('account_deleted');
    if (
      !session ||
      !session.userId.equals(userId) ||
      !isActive(session) ||
      !matchesCredentials(session, user)
    ) {
      throw new KeycardError('session_revoked');
    }
    return { user, claims, userId, sessionId };
  };
}
