import { z } from 'zod';
import {
  forgotPasswordSchema,
  resetPasswordSchema,
  verifyEmailSchema,
} from '../../../core/credentials';
import { loginBody, refreshBody, registerBody } from '../../schemas/request-schemas';
import {
  authResponseSchema,
  messageSchema,
  userResponseSchema,
} from '../../schemas/response-schemas';
import type { Operation } from '../operation';
import { AUTHENTICATION_ERRORS, cookieTransportHeader, RATE_LIMIT_ERRORS } from './common';

const signedIn = (status: 200 | 201, description: string) => ({
  status,
  description,
  schema: authResponseSchema,
  setsCookie: true,
});

const register = (path: string, operationId: string, summary: string): Operation => ({
  method: 'post',
  path,
  operationId,
  tag: 'Auth',
  summary,
  auth: 'none',
  headers: cookieTransportHeader,
  body: registerBody,
  success: signedIn(201, 'Registered and signed in: a new session'),
  errors: ['validation_error', 'email_taken', 'conflict', ...RATE_LIMIT_ERRORS],
});

/** Signing up, logging in, refreshing and logging out (src/http/routes/auth.ts). */
export const authOperations: Operation[] = [
  register('/api/auth/register', 'register', 'Create an account'),
  register('/api/auth/signup', 'signup', 'Create an account (same as /api/auth/register)'),
  {
    method: 'post',
    path: '/api/auth/login',
    operationId: 'login',
    tag: 'Auth',
    summary: 'Log in',
    description:
      'A wrong password and an unknown email get the same 401. After `LOGIN_MAX_FAILURES` ' +
      'consecutive failures for an email and address, 429 until the block ends.',
    auth: 'none',
    headers: cookieTransportHeader.extend({
      'X-Device-Token': z.string().optional().meta({
        description: 'The deviceToken of an earlier login: this client is a known device',
      }),
    }),
    body: loginBody,
    success: signedIn(200, 'Signed in: a new session'),
    errors: ['validation_error', 'invalid_credentials', 'email_not_verified', ...RATE_LIMIT_ERRORS],
  },
  {
    method: 'post',
    path: '/api/auth/refresh',
    operationId: 'refresh',
    tag: 'Auth',
    summary: 'Trade a refresh token for new tokens',
    description:
      'The refresh token comes from the body or, when the body has none, from the ' +
      '`keycard_refresh` cookie; a cookie request must come from an allowed Origin. Each ' +
      'refresh token works once: presenting an earlier one revokes the whole session.',
    auth: 'refresh',
    headers: cookieTransportHeader,
    body: refreshBody,
    success: signedIn(200, 'New tokens, with a new refresh token'),
    errors: [
      'validation_error',
      'invalid_refresh_token',
      'refresh_token_reused',
      'session_revoked',
      'account_deleted',
      'csrf_rejected',
      ...RATE_LIMIT_ERRORS,
    ],
  },
  {
    method: 'post',
    path: '/api/auth/logout',
    operationId: 'logout',
    tag: 'Auth',
    summary: 'End the current session',
    description:
      'Finds the session by the access token (an expired one works too), else by a refresh ' +
      'token from the body or the cookie. Idempotent; clears the refresh cookie.',
    auth: 'bearer-or-refresh',
    body: refreshBody,
    success: { status: 204, description: 'Logged out', setsCookie: true },
    errors: [
      'validation_error',
      'missing_token',
      'invalid_token',
      'invalid_refresh_token',
      'csrf_rejected',
    ],
  },
  {
    method: 'post',
    path: '/api/auth/password/forgot',
    operationId: 'forgotPassword',
    tag: 'Account recovery',
    summary: 'Mail a password reset link',
    description:
      'The same 202, body and headers whether or not the address has an account; a mail goes ' +
      'out only when it does. Limited per address and per client address.',
    auth: 'none',
    body: forgotPasswordSchema,
    success: { status: 202, description: 'Accepted', schema: messageSchema },
    errors: ['validation_error', ...RATE_LIMIT_ERRORS],
  },
  {
    method: 'post',
    path: '/api/auth/password/reset',
    operationId: 'resetPassword',
    tag: 'Account recovery',
    summary: 'Set a new password with a mailed token',
    description:
      'Every session of the user is revoked and the login lockout of the address cleared. ' +
      'Unknown, used, replaced and expired tokens get 400 invalid_reset_token.',
    auth: 'none',
    body: resetPasswordSchema,
    success: { status: 204, description: 'The password is changed' },
    errors: ['validation_error', 'invalid_reset_token'],
  },
  {
    method: 'post',
    path: '/api/auth/verify-email',
    operationId: 'verifyEmail',
    tag: 'Account recovery',
    summary: 'Confirm an address (after registration, or an email change) with a mailed token',
    auth: 'none',
    body: verifyEmailSchema,
    success: { status: 200, description: 'The confirmed user', schema: userResponseSchema },
    errors: ['validation_error', 'invalid_verification_token', 'email_taken'],
  },
  {
    method: 'post',
    path: '/api/auth/verify-email/resend',
    operationId: 'resendVerification',
    tag: 'Account recovery',
    summary: 'Mail a new confirmation link to the signed-in user',
    auth: 'bearer',
    success: { status: 202, description: 'Accepted', schema: messageSchema },
    errors: [...AUTHENTICATION_ERRORS, 'already_verified', ...RATE_LIMIT_ERRORS],
  },
];
