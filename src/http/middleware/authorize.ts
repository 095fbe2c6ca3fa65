import type { RequestHandler } from 'express';
import { KeycardError } from '../../core/errors';
import type { Role } from '../../models/roles';
import { authenticated } from './authenticate';

export function authorize(...roles: Role[]): RequestHandler {
  return (req, _res, next) => {
    // Used without authenticate() in front, authenticated() refuses rather than let anyone in.
    if (!roles.includes(authenticated(req).user.role)) throw new KeycardError('forbidden');
    next();
  };
}
