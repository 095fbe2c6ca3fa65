import type { RequestHandler } from 'express';
import { KeycardError } from '../../core/errors';

/**
 * Parses a JSON body with `parseJson` (express.json). express.json() silently skips bodies of
 * other types, which would then fail validation with a misleading message: say what is wrong
 * instead. A request without a body (every GET) passes straight through.
 */
export function jsonBody(parseJson: RequestHandler): RequestHandler {
  return (req, res, next) => {
    const { 'content-length': length, 'transfer-encoding': encoding } = req.headers;
    if (length === undefined && encoding === undefined) {
      next();
      return;
    }
    if (length !== '0' && req.is(['application/json', '+json']) === false) {
      throw new KeycardError('unsupported_media_type');
    }
    parseJson(req, res, next);
  };
}
