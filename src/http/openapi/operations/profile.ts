import { passwordChangeBody, profileUpdateBody } from '../../schemas/request-schemas';
import { emailChangeSchema } from '../../../core/credentials';
import { messageSchema, userResponseSchema } from '../../schemas/response-schemas';
import type { Operation } from '../operation';
import { AUTHENTICATION_ERRORS, RATE_LIMIT_ERRORS } from './common';

/** The signed-in user's own account (src/http/routes/profile.ts). */
export const profileOperations: Operation[] = [
  {
    method: 'get',
    path: '/api/profile',
    operationId: 'getProfile',
    tag: 'Profile',
    summary: 'The signed-in user',
    auth: 'bearer',
    success: { status: 200, description: 'The user', schema: userResponseSchema },
    errors: AUTHENTICATION_ERRORS,
  },
  {
    method: 'patch',
    path: '/api/profile',
    operationId: 'updateProfile',
    tag: 'Profile',
    summary: 'Change the name',
    auth: 'bearer',
    body: profileUpdateBody,
    success: { status: 200, description: 'The updated user', schema: userResponseSchema },
    errors: [...AUTHENTICATION_ERRORS, 'validation_error'],
  },
  {
    method: 'put',
    path: '/api/profile/password',
    operationId: 'changePassword',
    tag: 'Profile',
    summary: 'Change the password',
    description:
      'Every other session of the user is revoked. A wrong current password counts like a ' +
      'failed login, so it can end in 429.',
    auth: 'bearer',
    body: passwordChangeBody,
    success: { status: 204, description: 'Changed' },
    errors: [
      ...AUTHENTICATION_ERRORS,
      'validation_error',
      'invalid_credentials',
      ...RATE_LIMIT_ERRORS,
    ],
  },
  {
    method: 'put',
    path: '/api/profile/email',
    operationId: 'changeEmail',
    tag: 'Profile',
    summary: 'Change the email address, once the link mailed to the new one is followed',
    description:
      'A wrong password counts like a failed login. On confirmation every other session is ' +
      'revoked and the old address gets a notice.',
    auth: 'bearer',
    body: emailChangeSchema,
    success: { status: 202, description: 'Accepted', schema: messageSchema },
    errors: [
      ...AUTHENTICATION_ERRORS,
      'validation_error',
      'invalid_credentials',
      'email_taken',
      ...RATE_LIMIT_ERRORS,
    ],
  },
];
