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

/** Synchronous when the cache holds all it needs, which is nearly every request. */
export type Authenticator = (accessToken: string) => Authenticated | Promise<Authenticated>;

// All authenticate needs of a session; the token hashes stay in the database.
const SESSION_STATE = { userId: 1, revokedAt: 1, expiresAt: 1, credentialsVersion: 1 };

function judge(
  claims: AccessTokenClaims,
  ids: { userId: Types.ObjectId; sessionId: Types.ObjectId },
  user: UserRecord | null,
  session: SessionState | null,
): Authenticated {
  if (!user) throw new KeycardError('account_deleted');
  if (
    !session ||
    !session.userId.equals(ids.userId) ||
    !isActive(session) ||
    !matchesCredentials(session, user)
  ) {
    throw new KeycardError('session_revoked');
  }
  return { user, claims, ...ids };
}

export function createAuthenticator(
  deps: Pick<CoreDeps, 'tokens' | 'users' | 'sessions' | 'cache'>,
): Authenticator {
  // Both on every request, through the per-instance cache: a deleted account, a role changed by
  // an admin and a revoked session (logout, password change) take effect at once on the
  // instance that made the change and within AUTH_CACHE_MAX_STALENESS on every other one, not
  // when the token expires.
  async function load(
    claims: AccessTokenClaims,
    userId: Types.ObjectId,
    sessionId: Types.ObjectId,
  ) {
    const [user, session] = await Promise.all([
      deps.cache.user(claims.sub, () => deps.users.findById(userId).lean<UserRecord>()),
      deps.cache.session(claims.sid, () =>
        deps.sessions.findById(sessionId, SESSION_STATE).lean<SessionState>(),
      ),
    ]);
    return judge(claims, { userId, sessionId }, user, session);
  }

  return function authenticate(accessToken) {
    const claims = deps.tokens.verifyAccessToken(accessToken);
    const userId = parseObjectId(claims.sub);
    const sessionId = parseObjectId(claims.sid);
    if (!userId || !sessionId) throw new KeycardError('invalid_token');
    const user = deps.cache.cachedUser(claims.sub);
    const session = deps.cache.cachedSession(claims.sid);
    // Served from memory with no promise and no turn of the event loop in between.
    if (user && session) return judge(claims, { userId, sessionId }, user, session);
    return load(claims, userId, sessionId);
  };
}
