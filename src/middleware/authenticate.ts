import type { RequestHandler } from 'express';
import { isValidObjectId } from 'mongoose';
import { HttpError } from '../errors';
import type { AccessTokenClaims, TokenService } from '../auth/tokens';
import { invalidToken } from '../auth/tokens';
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

export function authenticate(deps: { tokens: TokenService; users: UserModel }): RequestHandler {
  return async (req, _res, next) => {
    // The header only: a token in a URL ends up in logs, browser history and Referer headers.
    const match = BEARER.exec(req.get('authorization') ?? '');
    if (!match?.[1]) {
      throw new HttpError(401, 'missing_token', 'Authentication required', undefined, {
        'WWW-Authenticate': 'Bearer realm="keycard"',
      });
    }
    const claims = deps.tokens.verifyAccessToken(match[1]);
    // Read the user on every request so that a deleted account or a role changed by an admin
    // takes effect at once, not when the token expires.
    const user = isValidObjectId(claims.sub) ? await deps.users.findById(claims.sub) : null;
    if (!user) throw invalidToken('user_not_found', 'User no longer exists');
    req.user = user;
    req.auth = claims;
    next();
  };
}
