import { idParams, roleUpdateBody, userListQuery } from '../../schemas/request-schemas';
import { userPageSchema, userResponseSchema } from '../../schemas/response-schemas';
import type { Operation } from '../operation';
import { AUTHENTICATION_ERRORS } from './common';

const ADMIN_ERRORS = [...AUTHENTICATION_ERRORS, 'forbidden'] as const;

/** Role `admin` only (src/http/routes/admin.ts). A malformed id is a 404 like an unknown one. */
export const adminOperations: Operation[] = [
  {
    method: 'get',
    path: '/api/admin/users',
    operationId: 'listUsers',
    tag: 'Admin',
    summary: 'List and search users',
    auth: 'bearer',
    query: userListQuery,
    success: { status: 200, description: 'One page of users', schema: userPageSchema },
    errors: [...ADMIN_ERRORS, 'validation_error'],
  },
  {
    method: 'get',
    path: '/api/admin/users/{id}',
    operationId: 'getUser',
    tag: 'Admin',
    summary: 'One user',
    auth: 'bearer',
    params: idParams,
    success: { status: 200, description: 'The user', schema: userResponseSchema },
    errors: [...ADMIN_ERRORS, 'user_not_found'],
  },
  {
    method: 'patch',
    path: '/api/admin/users/{id}',
    operationId: 'changeRole',
    tag: 'Admin',
    summary: 'Change a user’s role',
    description: 'The last admin cannot be demoted.',
    auth: 'bearer',
    params: idParams,
    body: roleUpdateBody,
    success: { status: 200, description: 'The updated user', schema: userResponseSchema },
    errors: [...ADMIN_ERRORS, 'validation_error', 'user_not_found', 'last_admin'],
  },
  {
    method: 'delete',
    path: '/api/admin/users/{id}',
    operationId: 'deleteUser',
    tag: 'Admin',
    summary: 'Delete a user and their sessions',
    description: 'The last admin cannot be deleted.',
    auth: 'bearer',
    params: idParams,
    success: { status: 204, description: 'Deleted' },
    errors: [...ADMIN_ERRORS, 'user_not_found', 'last_admin'],
  },
  {
    method: 'post',
    path: '/api/admin/users/{id}/logout',
    operationId: 'logoutUser',
    tag: 'Admin',
    summary: 'End every session of a user',
    auth: 'bearer',
    params: idParams,
    success: { status: 204, description: 'Their sessions revoked' },
    errors: [...ADMIN_ERRORS, 'user_not_found'],
  },
];
