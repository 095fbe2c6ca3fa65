import type { ErrorRequestHandler, RequestHandler } from 'express';
import mongoose from 'mongoose';
import { HttpError, NotFoundError, type ErrorDetail } from '../errors';
import { isDuplicateKeyError } from '../db/mongo-errors';
import type { Logger } from '../logger';

interface ErrorBody {
  error: string;
  code: string;
  details?: ErrorDetail[];
}

// body-parser marks its errors with a `type`; these are the client's mistakes, not ours.
const BODY_PARSER_ERRORS: Record<string, { status: number; code: string; message: string }> = {
  'entity.parse.failed': { status: 400, code: 'invalid_json', message: 'Malformed JSON body' },
  'entity.too.large': {
    status: 413,
    code: 'payload_too_large',
    message: 'Request body is too large',
  },
  'encoding.unsupported': {
    status: 415,
    code: 'unsupported_media_type',
    message: 'Unsupported content encoding',
  },
  'charset.unsupported': {
    status: 415,
    code: 'unsupported_media_type',
    message: 'Unsupported charset',
  },
  'request.aborted': { status: 400, code: 'request_aborted', message: 'Request aborted' },
};

export function notFound(): RequestHandler {
  return () => {
    throw new NotFoundError('not_found', 'Not found');
  };
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const { status, body, headers } = describe(error);
    if (status >= 500) {
      // The request's own logger when there is one, so the line carries the request id.
      (req.log ?? logger).error(
        { err: error, method: req.method, path: req.path },
        'request failed',
      );
    }
    res.set('Cache-Control', 'no-store');
    if (headers) res.set(headers);
    // RFC 6750: every 401 names the scheme that would let the client in.
    if (status === 401 && !res.get('WWW-Authenticate')) {
      res.set('WWW-Authenticate', 'Bearer realm="keycard"');
    }
    res.status(status).json(body);
  };
}

function describe(error: unknown): {
  status: number;
  body: ErrorBody;
  headers?: Record<string, string>;
} {
  if (error instanceof HttpError) {
    const body: ErrorBody = { error: error.message, code: error.code };
    if (error.details) body.details = error.details;
    return { status: error.status, body, headers: error.headers };
  }
  const bodyParserType = readString(error, 'type');
  const bodyParserError = bodyParserType ? BODY_PARSER_ERRORS[bodyParserType] : undefined;
  if (bodyParserError) {
    return {
      status: bodyParserError.status,
      body: { error: bodyParserError.message, code: bodyParserError.code },
    };
  }
  if (error instanceof mongoose.Error.ValidationError) {
    return {
      status: 400,
      body: {
        error: 'Request validation failed',
        code: 'validation_error',
        details: Object.values(error.errors).map((fieldError) => ({
          path: fieldError.path,
          message: fieldError.message,
        })),
      },
    };
  }
  // Other client errors raised by Express itself, such as a path with broken percent-encoding.
  const status = readNumber(error, 'status') ?? readNumber(error, 'statusCode');
  if (status !== undefined && status >= 400 && status < 500) {
    return { status: 400, body: { error: 'Malformed request', code: 'bad_request' } };
  }
  if (isDuplicateKeyError(error)) {
    return { status: 409, body: { error: 'Resource already exists', code: 'conflict' } };
  }
  return { status: 500, body: { error: 'Internal Server Error', code: 'internal_error' } };
}

function readNumber(value: unknown, key: string): number | undefined {
  if (typeof value !== 'object' || value === null || !(key in value)) return undefined;
  const field = (value as Record<string, unknown>)[key];
  return typeof field === 'number' ? field : undefined;
}

function readString(value: unknown, key: string): string | undefined {
  if (typeof value !== 'object' || value === null || !(key in value)) return undefined;
  const field = (value as Record<string, unknown>)[key];
  return typeof field === 'string' ? field : undefined;
}
