import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import cors from 'cors';
import type { RequestHandler } from 'express';
import helmet from 'helmet';
import type { Config } from '../../config/load-config';
import { DEVICE_HEADER, TRANSPORT_HEADER } from '../auth-cookies';

export function securityHeaders(config: Pick<Config, 'nodeEnv'>): RequestHandler {
  return replayed(
    helmet({
      // The API serves JSON only: nothing may load, frame or run it as a page.
      contentSecurityPolicy: {
        useDefaults: false,
        directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
      },
      strictTransportSecurity:
        config.nodeEnv === 'production' ? { maxAge: 31_536_000, includeSubDomains: true } : false,
      referrerPolicy: { policy: 'no-referrer' },
      frameguard: { action: 'deny' },
    }),
  );
}

type HeaderMiddleware = (
  req: IncomingMessage,
  res: ServerResponse,
  next: (error?: unknown) => void,
) => void;

/**
 * helmet's headers depend only on its options, never on the request: work them out once, at
 * start, and set the same list on every response instead of running helmet each time.
 */
function replayed(middleware: HeaderMiddleware): RequestHandler {
  const headers: [string, string][] = [];
  const recorder = new ServerResponse(new IncomingMessage(new Socket()));
  recorder.setHeader = (name, value) => {
    headers.push([name, String(value)]);
    return recorder;
  };
  middleware(recorder.req, recorder, () => undefined);
  return (_req, res, next) => {
    for (const [name, value] of headers) res.setHeader(name, value);
    next();
  };
}

/**
 * The Content-Security-Policy of an HTML page keycard serves (/docs, /demo), in place of the
 * API's `default-src 'none'`: the page's own origin only, nothing inline, nothing framed.
 */
export function pageSecurityPolicy(directives: Record<string, string[]>): RequestHandler {
  return helmet.contentSecurityPolicy({
    useDefaults: false,
    directives: {
      baseUri: ["'none'"],
      objectSrc: ["'none'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      ...directives,
    },
  });
}

export function corsPolicy(config: Pick<Config, 'corsOrigins'>): RequestHandler {
  const policy = corsFor(config);
  // A request without an Origin header is not a cross-origin browser request: cors would
  // only ask the origin check, be told no, and add nothing.
  return (req, res, next) => {
    if (req.headers.origin === undefined) next();
    else policy(req, res, next);
  };
}

function corsFor(config: Pick<Config, 'corsOrigins'>): RequestHandler {
  return cors({
    // Only the configured origins, echoed one at a time: never "*", never "null", never an
    // arbitrary reflected origin, since credentials (the refresh cookie) are allowed.
    origin: (origin, callback) => {
      callback(null, origin !== undefined && config.corsOrigins.includes(origin) ? origin : false);
    },
    credentials: true,
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: [
      'Authorization',
      'Content-Type',
      'X-Request-Id',
      TRANSPORT_HEADER,
      DEVICE_HEADER,
    ],
    exposedHeaders: [
      'X-Request-Id',
      'Retry-After',
      'RateLimit-Limit',
      'RateLimit-Remaining',
      'RateLimit-Reset',
      'RateLimit-Policy',
    ],
    maxAge: 600,
  });
}

/** Tokens and user data must never be kept by a browser or proxy cache. */
export const noStore: RequestHandler = (_req, res, next) => {
  res.set('Cache-Control', 'no-store');
  next();
};
