import type { Types } from 'mongoose';
import { matchesCredentials } from '../models/session';
import type { UserRecord } from '../models/user';
import type { Caller } from './audit';
import type { CoreDeps } from './deps';
import { KeycardError } from './errors';
import { parseObjectId } from './object-id';
import {
  findSessionByRefreshToken,
  listActiveSessions,
  endAllSessions,
  revokeSession,
  rotateRefreshToken,
} from './sessions';
import { signIn, type SignedIn } from './sign-in';

/** One of a user's sessions as the user may see it. */
export interface SessionSummary {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  userAgent: string;
  ip: string;
  current: boolean;
}

/** How a client names the session it wants to end: its access token, else its refresh token. */
export type LogoutProof = { accessToken: string } | { refreshToken: string };

export interface SessionService {
  refresh(refreshToken: string, caller: Caller): Promise<SignedIn>;
  logout(proof: LogoutProof, caller: Caller): Promise<void>;
  logoutAll(userId: Types.ObjectId, caller: Caller): Promise<void>;
  list(userId: Types.ObjectId, currentSessionId: Types.ObjectId): Promise<SessionSummary[]>;
  /** Another user's session is refused exactly like one that does not exist. */
  revokeOwn(userId: Types.ObjectId, sessionId: Types.ObjectId, caller: Caller): Promise<void>;
}

// Long only as the sum of its methods, each a few lines, which share these dependencies.
export function createSessionService(deps: CoreDeps): SessionService {
  async function logoutByAccessToken(accessToken: string, caller: Caller): Promise<void> {
    // Even an expired access token may end its own session: logging out grants nothing.
    const claims = deps.tokens.verifyAccessToken(accessToken, { ignoreExpiration: true });
    const userId = parseObjectId(claims.sub);
    const sessionId = parseObjectId(claims.sid);
    if (!userId || !sessionId) return;
    await revokeSession(deps, sessionId, userId);
    caller.audit('logout', { userId: claims.sub, sessionId: claims.sid });
  }

  async function logoutByRefreshToken(refreshToken: string, caller: Caller): Promise<void> {
    const session = await findSessionByRefreshToken(deps, refreshToken);
    if (!session) return;
    await revokeSession(deps, session._id, session.userId);
    caller.audit('logout', {
      userId: session.userId.toHexString(),
      sessionId: session._id.toHexString(),
    });
  }

  return {
    async refresh(refreshToken, caller) {
      const issued = await rotateRefreshToken(deps, refreshToken, caller, {
        onReuse: (session) =>
          caller.audit('refresh_reuse', {
            userId: session.userId.toHexString(),
            sessionId: session._id.toHexString(),
          }),
      });
      const user = await deps.users.findById(issued.session.userId).lean<UserRecord>();
      if (!user || !matchesCredentials(issued.session, user)) {
        await revokeSession(deps, issued.session._id, issued.session.userId);
        throw new KeycardError(user ? 'session_revoked' : 'account_deleted');
      }
      return signIn(deps.tokens, user, issued);
    },

    async logout(proof, caller) {
      if ('accessToken' in proof) await logoutByAccessToken(proof.accessToken, caller);
      else await logoutByRefreshToken(proof.refreshToken, caller);
    },

    async logoutAll(userId, caller) {
      await endAllSessions(deps, userId);
      caller.audit('logout_all', { userId: userId.toHexString() });
    },

    async list(userId, currentSessionId) {
      const sessions = await listActiveSessions(deps, userId);
      return sessions.map((session) => ({
        id: session._id.toHexString(),
        createdAt: session.createdAt.toISOString(),
        lastUsedAt: session.lastUsedAt.toISOString(),
        userAgent: session.userAgent,
        ip: session.ip,
        current: session._id.equals(currentSessionId),
      }));
    },

    async revokeOwn(userId, sessionId, caller) {
      if ((await deps.sessions.exists({ _id: sessionId, userId })) === null) {
        throw new KeycardError('session_not_found');
      }
      await revokeSession(deps, sessionId, userId);
      caller.audit('logout', {
        userId: userId.toHexString(),
        sessionId: sessionId.toHexString(),
      });
    },
  };
}
