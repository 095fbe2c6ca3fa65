import { z } from 'zod';
import type { ErrorCode } from '../../../core/errors';

/** What authenticate() can refuse with: every route behind a Bearer token shares these. */
export const AUTHENTICATION_ERRORS: readonly ErrorCode[] = [
  'missing_token',
  'invalid_token',
  'token_expired',
  'account_deleted',
  'session_revoked',
];

/** A limit counted in MongoDB: over it 429; its store unreachable, 503 (it fails closed). */
export const RATE_LIMIT_ERRORS: readonly ErrorCode[] = ['too_many_requests', 'service_unavailable'];

export const cookieTransportHeader = z.object({
  'X-Refresh-Token-Transport': z.literal('cookie').optional().meta({
    description: 'Send `cookie` to get the refresh token in an HttpOnly cookie, not in the body',
  }),
});
