import type { Types } from 'mongoose';
import { isActive, matchesCredentials, type Session } from '../models/session';
import type { UserRecord } from '../models/user';
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

export function createAuthenticator(deps: Pick<CoreDeps, 'tokens' | 'users' | 'sessions'>) {
  return async function authenticate(accessToken: string): Promise<Authenticated> {
    const claims = deps.tokens.verifyAccessToken(accessToken);
    const userId = parseObjectId(claims.sub);
    const sessionId = parseObjectId(claims.sid);
    if (!userId || !sessionId) throw new KeycardError('invalid_token');
    // Both reads on every request, in parallel: a deleted account, a role changed by an admin
    // and a revoked session (logout, password change) all take effect at once, on every
    // instance, not when the token expires.
    const [user, session] = await Promise.all([
      deps.users.findById(userId).lean<UserRecord>(),
      deps.sessions.findById(sessionId).lean<Session>(),
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
