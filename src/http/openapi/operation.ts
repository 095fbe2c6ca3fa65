import type { OpenAPIRegistry, ResponseConfig } from '@asteasolutions/zod-to-openapi';
import type { z } from 'zod';
import { ERROR_CATALOGUE, type ErrorCode } from '../../core/errors';
import { errorBodySchema } from '../schemas/error-schemas';

/**
 * One route as the OpenAPI document describes it. Adding a route to keycard means adding one
 * of these to the list in operations/ beside its neighbours: the document, GET / and the
 * test that checks every response against the document all follow from that list.
 */
export interface Operation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** OpenAPI's template: `/api/admin/users/{id}`. */
  path: string;
  operationId: string;
  tag: string;
  summary: string;
  description?: string;
  /**
   * bearer: an access token. refresh: the refresh token from the body or the cookie.
   * bearer-or-refresh: either (logout). none: public.
   */
  auth: 'none' | 'bearer' | 'refresh' | 'bearer-or-refresh';
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** Request headers beyond Authorization, such as X-Refresh-Token-Transport. */
  headers?: z.ZodObject;
  success: {
    status: 200 | 201 | 202 | 204 | 301;
    description: string;
    schema?: z.ZodType;
    /** It may set or clear the refresh cookie. */
    setsCookie?: boolean;
  };
  /** Codes this route itself can answer with; the ones every route shares are added. */
  errors: readonly ErrorCode[];
  /** The route never reads the database, so it cannot answer 503 database_unavailable. */
  noDatabase?: boolean;
  /** Some other status with its own schema (GET /health's 503 draining). */
  extraResponses?: Record<number, ResponseConfig>;
}

/**
 * What any route can answer, whatever it does: the body parser and the JSON-only rule run
 * before every route, and an unexpected failure is a 500.
 */
export const SHARED_ERRORS: readonly ErrorCode[] = [
  'invalid_json',
  'request_aborted',
  'bad_request',
  'payload_too_large',
  'unsupported_media_type',
  'internal_error',
];

const HEADER = (description: string) => ({ schema: { type: 'string' as const }, description });

const RATE_LIMIT_HEADERS = {
  'Retry-After': HEADER('Seconds until a retry may succeed'),
  'RateLimit-Limit': HEADER('The limit'),
  'RateLimit-Remaining': HEADER('What is left of it'),
  'RateLimit-Reset': HEADER('Seconds until the window ends'),
  'RateLimit-Policy': HEADER('`<limit>;w=<window seconds>`'),
};

function headersFor(status: number): ResponseConfig['headers'] {
  if (status === 401) {
    return { 'WWW-Authenticate': HEADER('`Bearer realm="keycard"`, with error= (RFC 6750)') };
  }
  if (status === 429) return RATE_LIMIT_HEADERS;
  if (status === 503) return { 'Retry-After': HEADER('Seconds until a retry may succeed') };
  return undefined;
}

/** Every error code of an operation, grouped by status, each status one documented response. */
export function errorResponses(operation: Operation): Record<number, ResponseConfig> {
  const codes = new Set<ErrorCode>([...operation.errors, ...SHARED_ERRORS]);
  if (!operation.noDatabase) codes.add('database_unavailable');
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) {
    const { status } = ERROR_CATALOGUE[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<number, ResponseConfig> = {};
  for (const [status, [first, ...rest]] of [...byStatus].sort(([a], [b]) => a - b)) {
    if (first === undefined) continue;
    const list = [first, ...rest] as const;
    responses[status] = {
      description: list.map((code) => `\`${code}\`: ${ERROR_CATALOGUE[code].message}`).join('; '),
      headers: headersFor(status),
      content: { 'application/json': { schema: errorBodySchema(list) } },
    };
  }
  return responses;
}

const SECURITY: Record<Operation['auth'], Record<string, string[]>[]> = {
  none: [],
  bearer: [{ bearerAuth: [] }],
  refresh: [{}, { refreshCookie: [] }],
  'bearer-or-refresh': [{ bearerAuth: [] }, { refreshCookie: [] }, {}],
};

const SET_COOKIE = {
  'Set-Cookie': HEADER('With X-Refresh-Token-Transport: cookie, the refresh cookie (HttpOnly)'),
};

export function registerOperation(registry: OpenAPIRegistry, operation: Operation): void {
  const { success } = operation;
  registry.registerPath({
    method: operation.method,
    path: operation.path,
    operationId: operation.operationId,
    tags: [operation.tag],
    summary: operation.summary,
    description: operation.description,
    security: SECURITY[operation.auth],
    request: {
      params: operation.params,
      query: operation.query,
      headers: operation.headers,
      body: operation.body && {
        required: !operation.body.safeParse(undefined).success,
        content: { 'application/json': { schema: operation.body } },
      },
    },
    responses: {
      [success.status]: {
        description: success.description,
        headers: success.setsCookie ? SET_COOKIE : undefined,
        content: success.schema && { 'application/json': { schema: success.schema } },
      },
      ...errorResponses(operation),
      ...operation.extraResponses,
    },
  });
}
