import type { RequestHandler } from 'express';
import { HttpError } from '../errors';
import type { Role } from '../roles';
import { missingToken } from './authenticate';

export function authorize(...roles: Role[]): RequestHandler {
  return (req, _res, next) => {
    // Used without authenticate() in front, refuse rather than let everyone through.
    if (!req.user) throw missingToken();
    if (!roles.includes(req.user.role)) {
      throw new HttpError(403, 'forbidden', 'You are not allowed to do this');
    }
    next();
  };
}
