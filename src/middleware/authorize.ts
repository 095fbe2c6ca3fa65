import type { RequestHandler } from 'express';
import { HttpError } from '../errors';
import type { Role } from '../roles';

export function authorize(...roles: Role[]): RequestHandler {
  return (req, _res, next) => {
    if (!req.user) {
      throw new HttpError(401, 'missing_token', 'Authentication required', undefined, {
        'WWW-Authenticate': 'Bearer realm="keycard"',
      });
    }
    if (!roles.includes(req.user.role)) {
      throw new HttpError(403, 'forbidden', 'You are not allowed to do this');
    }
    next();
  };
}
