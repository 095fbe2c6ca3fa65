import type { Request, RequestHandler } from 'express';
import type { Authenticated, Authenticator } from '../../core/authenticator';
import { KeycardError } from '../../core/errors';

const BEARER = /^Bearer +(\S+) *$/i;

// Kept beside the request rather than on it: handlers read it through authenticated(), which
// is typed, instead of an optional field every handler would have to cast.
const verified = new WeakMap<Request, Authenticated>();

/** The token of an `Authorization: Bearer` header; undefined when there is none. */
export function readBearerToken(header: string | undefined): string | undefined {
  return BEARER.exec(header ?? '')?.[1];
}

export function authenticate(check: Authenticator): RequestHandler {
  return (req, _res, next) => {
    // The header only: a token in a URL ends up in logs, browser history and Referer headers.
    const token = readBearerToken(req.headers.authorization);
    if (!token) throw new KeycardError('missing_token');
    const found = check(token);
    if (!(found instanceof Promise)) {
      verified.set(req, found);
      return next();
    }
    // Express 5 passes a rejection on to the error handler.
    return found.then((loaded) => {
      verified.set(req, loaded);
      next();
    });
  };
}

/** Who the request is from; refuses (401) when authenticate() did not run before. */
export function authenticated(req: Request): Authenticated {
  const found = verified.get(req);
  if (!found) throw new KeycardError('missing_token');
  return found;
}
