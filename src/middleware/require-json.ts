import type { RequestHandler } from 'express';
import { HttpError } from '../errors';

/**
 * express.json() silently skips bodies of other types, which would then fail validation with
 * a misleading message; say what is wrong instead. A request without a body passes through.
 */
export function requireJsonBody(): RequestHandler {
  return (req, _res, next) => {
    const empty = req.get('content-length') === '0';
    if (!empty && req.is(['application/json', '+json']) === false) {
      throw new HttpError(415, 'unsupported_media_type', 'Content-Type must be application/json');
    }
    next();
  };
}
