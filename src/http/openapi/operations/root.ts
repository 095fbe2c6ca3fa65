import { z } from 'zod';
import { errorBodySchema } from '../../schemas/error-schemas';
import { healthSchema, welcomeSchema } from '../../schemas/response-schemas';
import type { Operation } from '../operation';

const openApiDocumentSchema = z
  .looseObject({ openapi: z.literal('3.1.0'), info: z.looseObject({}), paths: z.looseObject({}) })
  .meta({ id: 'OpenApiDocument' });

/** The welcome, the health check and this document (src/http/routes/root.ts, docs.ts). */
export const rootOperations: Operation[] = [
  {
    method: 'get',
    path: '/',
    operationId: 'welcome',
    tag: 'Service',
    summary: 'A welcome naming every endpoint',
    auth: 'none',
    noDatabase: true,
    success: { status: 200, description: 'The welcome', schema: welcomeSchema },
    errors: [],
  },
  {
    method: 'get',
    path: '/health',
    operationId: 'health',
    tag: 'Service',
    summary: 'Whether the database answers',
    description: 'While the server drains for a shutdown: 503 `{"status":"draining"}`.',
    auth: 'none',
    success: { status: 200, description: 'The database answers a ping', schema: healthSchema },
    errors: ['database_unavailable'],
    extraResponses: {
      503: {
        description: '`database_unavailable`, or `{"status":"draining"}` during a shutdown',
        headers: { 'Retry-After': { schema: { type: 'string' } } },
        content: {
          'application/json': {
            schema: z.union([errorBodySchema(['database_unavailable']), healthSchema]),
          },
        },
      },
    },
  },
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'openApiDocument',
    tag: 'Service',
    summary: 'This OpenAPI 3.1 document',
    auth: 'none',
    noDatabase: true,
    success: { status: 200, description: 'The document', schema: openApiDocumentSchema },
    errors: [],
  },
];
