/**
 * How a 401 tells the client what to do (RFC 6750): `bare` names the scheme only; `invalid_token`
 * says a presented token was refused and why.
 */
export type Challenge = 'bare' | 'invalid_token';

export interface ErrorSpec {
  status: number;
  message: string;
  challenge?: Challenge;
  /** For a condition that passes by itself: when to try again (Retry-After), by default. */
  retryAfterSeconds?: number;
}

/**
 * Every error code keycard can answer with, its status, its default message and, for 401s, its
 * challenge. One code, one meaning: the README's error table is checked against this list.
 */
export const ERROR_CATALOGUE = {
  validation_error: { status: 400, message: 'Request validation failed' },
  invalid_json: { status: 400, message: 'Malformed JSON body' },
  request_aborted: { status: 400, message: 'Request aborted' },
  bad_request: { status: 400, message: 'Malformed request' },
  invalid_reset_token: {
    status: 400,
    message: 'This password reset link is invalid, used, replaced or expired',
  },
  invalid_verification_token: {
    status: 400,
    message: 'This confirmation link is invalid, used or expired',
  },
  missing_token: { status: 401, message: 'Authentication required', challenge: 'bare' },
  invalid_token: { status: 401, message: 'Invalid token', challenge: 'invalid_token' },
  token_expired: { status: 401, message: 'Token expired', challenge: 'invalid_token' },
  account_deleted: {
    status: 401,
    message: 'User no longer exists',
    challenge: 'invalid_token',
  },
  session_revoked: {
    status: 401,
    message: 'Session has been revoked or has expired',
    challenge: 'invalid_token',
  },
  invalid_credentials: { status: 401, message: 'Invalid email or password', challenge: 'bare' },
  invalid_refresh_token: { status: 401, message: 'Invalid refresh token', challenge: 'bare' },
  refresh_token_reused: {
    status: 401,
    message: 'Refresh token was already used; the session has been revoked',
    challenge: 'bare',
  },
  forbidden: { status: 403, message: 'You are not allowed to do this' },
  csrf_rejected: { status: 403, message: 'Cookie requests must come from an allowed origin' },
  email_not_verified: {
    status: 403,
    message: 'Confirm your email address first: follow the link in the mail keycard sent',
  },
  not_found: { status: 404, message: 'Not found' },
  user_not_found: { status: 404, message: 'User not found' },
  session_not_found: { status: 404, message: 'Session not found' },
  email_taken: { status: 409, message: 'An account with this email already exists' },
  already_verified: { status: 409, message: 'This email address is already confirmed' },
  last_admin: { status: 409, message: 'The last admin can be neither demoted nor deleted' },
  conflict: { status: 409, message: 'Resource already exists' },
  payload_too_large: { status: 413, message: 'Request body is too large' },
  unsupported_media_type: { status: 415, message: 'Content-Type must be application/json' },
  too_many_requests: { status: 429, message: 'Too many requests, try again later' },
  internal_error: { status: 500, message: 'Internal Server Error' },
  database_unavailable: { status: 503, message: 'Database unavailable', retryAfterSeconds: 5 },
  service_unavailable: {
    status: 503,
    message: 'Service temporarily unavailable',
    retryAfterSeconds: 5,
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export const ERROR_CODES = Object.keys(ERROR_CATALOGUE) as ErrorCode[];

export interface ErrorDetail {
  path: string;
  message: string;
}

/**
 * The only error whose code and message reach a client: anything else becomes a logged 500
 * "Internal Server Error". `code` is stable for programs; `message` is for people.
 */
export class KeycardError extends Error {
  readonly spec: ErrorSpec;
  /** When the client may try again, for a condition that passes (sent as Retry-After). */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    readonly code: ErrorCode,
    options: { message?: string; cause?: unknown; retryAfterSeconds?: number } = {},
  ) {
    const spec: ErrorSpec = ERROR_CATALOGUE[code];
    super(options.message ?? spec.message, { cause: options.cause });
    this.name = 'KeycardError';
    this.spec = spec;
    this.retryAfterSeconds = options.retryAfterSeconds ?? spec.retryAfterSeconds;
  }
}

export class ValidationError extends KeycardError {
  constructor(readonly details: ErrorDetail[]) {
    super('validation_error');
    this.name = 'ValidationError';
  }
}

/** A wrong email or password: the one failure that the login throttle counts. */
export class InvalidCredentialsError extends KeycardError {
  constructor() {
    super('invalid_credentials');
    this.name = 'InvalidCredentialsError';
  }
}

/** Where a client stands against one limit, as the RateLimit-* headers describe it. */
export interface RateLimitState {
  limit: number;
  remaining: number;
  /** Seconds until the window (or the block) ends. */
  resetSeconds: number;
  windowSeconds: number;
}

/** A limit refused the request: the client may try again after `state.resetSeconds`. */
export class RateLimitedError extends KeycardError {
  constructor(readonly state: RateLimitState) {
    super('too_many_requests', { retryAfterSeconds: state.resetSeconds });
    this.name = 'RateLimitedError';
  }
}
