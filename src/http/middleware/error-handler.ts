import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import mongoose from 'mongoose';
import {
  KeycardError,
  RateLimitedError,
  ValidationError,
  type ErrorCode,
  type ErrorDetail,
} from '../../core/errors';
import { isDatabaseUnavailable, isDuplicateKeyError } from '../../db/mongo-errors';
import type { Logger } from '../../logger';
import { setRateLimitHeaders } from '../rate-limit-headers';
import { requestLog } from './request-logger';

interface ErrorBody {
  error: string;
  code: ErrorCode;
  details?: ErrorDetail[];
}

// body-parser marks its errors with a `type`; these are the client's mistakes, not ours.
const BODY_PARSER_ERRORS: Record<string, KeycardError> = {
  'entity.parse.failed': new KeycardError('invalid_json'),
  'entity.too.large': new KeycardError('payload_too_large'),
  'encoding.unsupported': new KeycardError('unsupported_media_type', {
    message: 'Unsupported content encoding',
  }),
  'charset.unsupported': new KeycardError('unsupported_media_type', {
    message: 'Unsupported charset',
  }),
  'request.aborted': new KeycardError('request_aborted'),
};

const REALM = 'Bearer realm="keycard"';

export function notFound(): RequestHandler {
  return () => {
    throw new KeycardError('not_found');
  };
}

// While the database is away every request fails the same way: one line per outage (at most
// one a minute) says so, instead of one per request.
const OUTAGE_LOG_INTERVAL_MS = 60_000;

/** The only place that writes an error response: the catalogue gives status and challenge. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  let outageLoggedAt = Number.NEGATIVE_INFINITY;
  const worthLogging = (known: KeycardError) => {
    if (known.spec.status < 500) return false;
    if (known.code !== 'database_unavailable') return true;
    if (Date.now() - outageLoggedAt < OUTAGE_LOG_INTERVAL_MS) return false;
    outageLoggedAt = Date.now();
    return true;
  };

  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const known = asKeycardError(error);
    const { status, challenge } = known.spec;
    if (worthLogging(known)) {
      // Once, with the cause, on the request's own logger so the line carries the request id.
      (requestLog(req) ?? logger).error(
        { err: known.cause ?? error, code: known.code, method: req.method, path: req.path },
        'request failed',
      );
    }
    res.set('Cache-Control', 'no-store');
    if (known instanceof RateLimitedError) setRateLimitHeaders(res, known.state);
    if (known.retryAfterSeconds !== undefined) {
      res.set('Retry-After', String(known.retryAfterSeconds));
    }
    // RFC 6750: every 401 names the scheme that would let the client in.
    if (status === 401)
      setChallenge(res, challenge === 'invalid_token' ? known.message : undefined);
    const body: ErrorBody = { error: known.message, code: known.code };
    if (known instanceof ValidationError) body.details = known.details;
    res.status(status).json(body);
  };
}

function setChallenge(res: Response, invalidTokenDescription: string | undefined): void {
  res.set(
    'WWW-Authenticate',
    invalidTokenDescription === undefined
      ? REALM
      : `${REALM}, error="invalid_token", error_description="${invalidTokenDescription}"`,
  );
}

/** Our own errors as they are; the few foreign ones we recognise; anything else is a 500. */
function asKeycardError(error: unknown): KeycardError {
  if (error instanceof KeycardError) return error;
  const bodyParserType = readField(error, 'type');
  const bodyParserError =
    typeof bodyParserType === 'string' ? BODY_PARSER_ERRORS[bodyParserType] : undefined;
  if (bodyParserError) return bodyParserError;
  if (error instanceof mongoose.Error.ValidationError) {
    // Mongoose's own messages quote the value and name its internals: say only which field.
    return new ValidationError(
      Object.values(error.errors).map((fieldError) => ({
        path: fieldError.path,
        message: 'is not valid',
      })),
    );
  }
  // Other client errors raised by Express itself, such as a path with broken percent-encoding.
  const status = readField(error, 'status') ?? readField(error, 'statusCode');
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new KeycardError('bad_request');
  }
  if (isDuplicateKeyError(error)) return new KeycardError('conflict');
  if (isDatabaseUnavailable(error))
    return new KeycardError('database_unavailable', { cause: error });
  return new KeycardError('internal_error', { cause: error });
}

function readField(value: unknown, key: string): unknown {
  if (typeof value !== 'object' || value === null || !(key in value)) return undefined;
  return (value as Record<string, unknown>)[key];
}
