import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import type { Logger } from '../../logger';

const SAFE_REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

interface RequestLog {
  requestId: string;
  logger: Logger;
  child?: Logger;
}

// Beside the request, not on it: a property added to each request object would make every
// request a differently shaped object, and every later read of its fields slower.
const logs = new WeakMap<IncomingMessage, RequestLog>();

/**
 * This request's logger: every line it writes carries the request id. It is only made when
 * something logs through it (an audit event, an error), which most requests never do.
 */
export function requestLog(req: IncomingMessage): Logger | undefined {
  const log = logs.get(req);
  if (!log) return undefined;
  log.child ??= log.logger.child({ requestId: log.requestId });
  return log.child;
}

/**
 * One access line per request and a request id on every line and in X-Request-Id (a caller's
 * own id is kept). Only the method, the path without its query, the address and the status
 * are logged: headers (Authorization, Cookie, Set-Cookie) and query strings never are, so no
 * token can reach a log line through them.
 */
export function requestLogger(logger: Logger): RequestHandler {
  // The access line holds only the fields below, none of them secret: it skips the redaction
  // pass that every other line gets.
  const access = logger.child({}, { redact: { paths: [] } });
  return (req, res, next) => {
    const incoming = req.headers['x-request-id'];
    const requestId =
      typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader('X-Request-Id', requestId);
    logs.set(req, { requestId, logger });
    const started = performance.now();
    res.once('close', () => {
      const fields = {
        requestId,
        req: {
          method: req.method,
          path: req.originalUrl.split('?')[0],
          remoteAddress: req.socket.remoteAddress,
        },
        res: { statusCode: res.statusCode },
        responseTime: Math.round(performance.now() - started),
      };
      // The error handler logs each 5xx once at error level, with its cause; the access line
      // only notes it.
      if (!res.writableFinished) access.warn(fields, 'request aborted');
      else if (res.statusCode >= 500) access.warn(fields, 'request completed');
      else access.info(fields, 'request completed');
    });
    next();
  };
}
