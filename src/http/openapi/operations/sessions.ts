import { idParams } from '../../schemas/request-schemas';
import { sessionListSchema } from '../../schemas/response-schemas';
import type { Operation } from '../operation';
import { AUTHENTICATION_ERRORS } from './common';

/** A signed-in user's own sessions (src/http/routes/sessions.ts). */
export const sessionOperations: Operation[] = [
  {
    method: 'post',
    path: '/api/auth/logout-all',
    operationId: 'logoutAll',
    tag: 'Sessions',
    summary: 'End every session of the user',
    auth: 'bearer',
    success: { status: 204, description: 'Every session revoked', setsCookie: true },
    errors: AUTHENTICATION_ERRORS,
  },
  {
    method: 'get',
    path: '/api/auth/sessions',
    operationId: 'listSessions',
    tag: 'Sessions',
    summary: 'List the active sessions',
    auth: 'bearer',
    success: { status: 200, description: 'The active sessions', schema: sessionListSchema },
    errors: AUTHENTICATION_ERRORS,
  },
  {
    method: 'delete',
    path: '/api/auth/sessions/{id}',
    operationId: 'revokeSession',
    tag: 'Sessions',
    summary: 'End one session',
    description: 'Another user’s session is answered like one that does not exist.',
    auth: 'bearer',
    params: idParams,
    success: { status: 204, description: 'That session revoked' },
    errors: [...AUTHENTICATION_ERRORS, 'session_not_found'],
  },
];
