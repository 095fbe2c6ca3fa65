import { createHash, createHmac, randomBytes, type KeyObject } from 'node:crypto';
import { Types } from 'mongoose';

const SECRET_BYTES = 32;

export interface ParsedRefreshToken {
  sessionId: Types.ObjectId;
  token: string;
}

/**
 * A refresh token is `<session id>.<secret>`: naming its session is what lets keycard tell an
 * earlier token of a live session (reuse: a theft) from a token it never issued (garbage).
 */
export function newRefreshToken(sessionId: Types.ObjectId): string {
  return `${sessionId.toHexString()}.${randomBytes(SECRET_BYTES).toString('base64url')}`;
}

/**
 * The successor of a token is derived from it with a server key, not drawn at random, so that
 * clients racing to refresh with the same token within the grace window all receive the same
 * successor without keycard ever storing a token.
 */
export function successorOf(key: KeyObject, parsed: ParsedRefreshToken): string {
  const secret = createHmac('sha256', key).update(parsed.token).digest('base64url');
  return `${parsed.sessionId.toHexString()}.${secret}`;
}

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

export function parseRefreshToken(token: string): ParsedRefreshToken | undefined {
  const match = /^([0-9a-f]{24})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match?.[1]) return undefined;
  return { sessionId: new Types.ObjectId(match[1]), token };
}
