import type { RequestHandler } from 'express';
import { KeycardError } from '../../core/errors';

/**
 * express.json() silently skips bodies of other types, which would then fail validation with
 * a misleading message; say what is wrong instead. A request without a body passes through.
 */
export function requireJsonBody(): RequestHandler {
  return (req, _res, next) => {
    const empty = req.get('content-length') === '0';
    if (!empty && req.is(['application/json', '+json']) === false) {
      throw new KeycardError('unsupported_media_type');
    }
    next();
  };
}
