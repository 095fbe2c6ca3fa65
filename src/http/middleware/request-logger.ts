import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pinoHttp } from 'pino-http';
import type { Logger } from '../../logger';

const SAFE_REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Access log and a request id on every line and in X-Request-Id (a caller's own id is kept). */
export function requestLogger(logger: Logger) {
  return pinoHttp({
    logger,
    quietReqLogger: true,
    customAttributeKeys: { reqId: 'requestId' },
    genReqId(req: IncomingMessage, res: ServerResponse) {
      const incoming = req.headers['x-request-id'];
      const id =
        typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    // Allowlists: headers (Authorization, Cookie, Set-Cookie) and query strings are never
    // logged, so no token can reach a log line through them.
    serializers: {
      req: (req: { method?: string; url?: string; remoteAddress?: string }) => ({
        method: req.method,
        path: req.url?.split('?')[0],
        remoteAddress: req.remoteAddress,
      }),
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
    },
    // The error handler logs each 5xx once at error level, with its cause; the access line
    // only notes it.
    customLogLevel(_req, res) {
      return res.statusCode >= 500 ? 'warn' : 'info';
    },
  });
}
