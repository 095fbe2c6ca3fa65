import type { RequestHandler } from 'express';
import { isValidObjectId } from 'mongoose';
import { HttpError } from '../errors';
import type { AccessTokenClaims, TokenService } from '../auth/tokens';
import { invalidToken } from '../auth/tokens';
import { isActive, type Session, type SessionModel } from '../models/session';
import type { UserDocument, UserModel } from '../models/user';

declare global {
  // Express's own Request type is extended through this namespace.
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The current user, freshly read from the database by authenticate(). */
      user?: UserDocument;
      /** The verified claims of the access token that authenticated this request. */
      auth?: AccessTokenClaims;
    }
  }
}

const BEARER = /^Bearer +(\S+) *$/i;

/** The token of an `Authorization: Bearer` header; undefined when there is none. */
export function readBearerToken(header: string | undefined): string | undefined {
  return BEARER.exec(header ?? '')?.[1];
}

/** The error handler adds the bare `WWW-Authenticate: Bearer realm="keycard"` challenge. */
export function missingToken(): HttpError {
  return new HttpError(401, 'missing_token', 'Authentication required');
}

export function authenticate(deps: {
  tokens: TokenService;
  users: UserModel;
  sessions: SessionModel;
}): RequestHandler {
  return async (req, _res, next) => {
    // The header only: a token in a URL ends up in logs, browser history and Referer headers.
    const token = readBearerToken(req.get('authorization'));
    if (!token) throw missingToken();
    const claims = deps.tokens.verifyAccessToken(token);
    if (!isValidObjectId(claims.sub) || !isValidObjectId(claims.sid)) {
      throw invalidToken('invalid_token', 'Invalid token');
    }
    // Both reads on every request, in parallel: a deleted account, a role changed by an admin
    // and a revoked session (logout, password change) all take effect at once, on every
    // instance, not when the token expires.
    const [user, session] = await Promise.all([
      deps.users.findById(claims.sub),
      deps.sessions.findById(claims.sid).lean<Session>(),
    ]);
    if (!user) throw invalidToken('user_not_found', 'User no longer exists');
    if (!session || !session.userId.equals(user._id) || !isActive(session)) {
      throw invalidToken('session_revoked', 'Session has been revoked or has expired');
    }
    req.user = user;
    req.auth = claims;
    next();
  };
}
