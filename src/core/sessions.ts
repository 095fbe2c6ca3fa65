import type { KeyObject } from 'node:crypto';
import { Types } from 'mongoose';
import { isActive, type Session, type SessionModel } from '../models/session';
import type { UserModel } from '../models/user';
import type { Revocations } from './revocations';
import { KeycardError } from './errors';
import {
  hashRefreshToken,
  newRefreshToken,
  parseRefreshToken,
  successorOf,
  type ParsedRefreshToken,
} from './refresh-tokens';

/**
 * Clients racing to refresh with one token (two tabs, a retried request) within this many
 * seconds all receive the same successor instead of tripping reuse detection. After it, any
 * earlier token is treated as stolen.
 */
export const REFRESH_GRACE_SECONDS = 10;

// Bounds a session document: at one rotation per 15-minute access token, a 7-day session
// rotates 672 times.
const MAX_REMEMBERED_TOKENS = 2000;

export interface SessionDeps {
  sessions: SessionModel;
  revocations: Revocations;
  refreshKey: KeyObject;
  /**
   * Keys of retired signing secrets: during a key rotation or a rolling deploy, an instance
   * still on the old secret may have made the successor a racing client must receive.
   */
  previousRefreshKeys?: readonly KeyObject[];
  refreshTokenTtlSeconds: number;
}

export interface ClientInfo {
  userAgent: string;
  ip: string;
}

export type SessionRecord = Session & { _id: Types.ObjectId };

export interface IssuedSession {
  session: SessionRecord;
  refreshToken: string;
}

const invalidRefreshToken = () => new KeycardError('invalid_refresh_token');

/** Opens a session for a user whose credentials were checked at `credentialsVersion`. */
export async function startSession(
  deps: SessionDeps,
  user: { _id: Types.ObjectId; credentialsVersion?: number },
  client: ClientInfo,
): Promise<IssuedSession> {
  const _id = new Types.ObjectId();
  const refreshToken = newRefreshToken(_id);
  const now = new Date();
  const session = await deps.sessions.create({
    _id,
    userId: user._id,
    credentialsVersion: user.credentialsVersion ?? 0,
    currentTokenHash: hashRefreshToken(refreshToken),
    userAgent: client.userAgent,
    ip: client.ip,
    createdAt: now,
    lastUsedAt: now,
    expiresAt: new Date(now.getTime() + deps.refreshTokenTtlSeconds * 1000),
  });
  return { session: session.toObject(), refreshToken };
}

/** Exchanges a refresh token for its successor; throws 401 for anything but the current one. */
export async function rotateRefreshToken(
  deps: SessionDeps,
  token: string,
  client: ClientInfo,
  hooks: { onReuse?: (session: SessionRecord) => void } = {},
): Promise<IssuedSession> {
  const parsed = parseRefreshToken(token);
  if (!parsed) throw invalidRefreshToken();
  const now = new Date();
  const rotated = await compareAndRotate(deps, parsed, client, now);
  if (rotated) return rotated;

  const presentedHash = hashRefreshToken(token);
  const session = await deps.sessions.findById(parsed.sessionId).lean<SessionRecord>();
  const genuine =
    session !== null &&
    (session.currentTokenHash === presentedHash || session.usedTokenHashes.includes(presentedHash));
  if (!session || !genuine) throw invalidRefreshToken();
  if (!isActive(session, now)) throw new KeycardError('session_revoked');

  const raced = successorWithinGrace(deps, parsed, session, now);
  // Lost a race: the token was rotated moments ago and its successor is still current.
  if (raced) return { session, refreshToken: raced };

  // An earlier token came back: it was copied. Whoever holds the newer ones may be the thief,
  // so the whole session dies (OAuth 2.0 Security BCP, refresh token rotation).
  await deps.sessions.updateOne(
    { _id: session._id, revokedAt: null },
    { $set: { revokedAt: now } },
  );
  await deps.revocations.sessionEnded(session._id);
  hooks.onReuse?.(session);
  throw new KeycardError('refresh_token_reused');
}

/** Compare-and-set: of all requests presenting the current token, exactly one rotates it. */
async function compareAndRotate(
  deps: SessionDeps,
  parsed: ParsedRefreshToken,
  client: ClientInfo,
  now: Date,
): Promise<IssuedSession | undefined> {
  const presentedHash = hashRefreshToken(parsed.token);
  const successor = successorOf(deps.refreshKey, parsed);
  const rotated = await deps.sessions
    .findOneAndUpdate(
      {
        _id: parsed.sessionId,
        currentTokenHash: presentedHash,
        revokedAt: null,
        expiresAt: { $gt: now },
      },
      {
        $set: {
          currentTokenHash: hashRefreshToken(successor),
          previousTokenHash: presentedHash,
          rotatedAt: now,
          lastUsedAt: now,
          ip: client.ip,
          userAgent: client.userAgent,
        },
        $push: { usedTokenHashes: { $each: [presentedHash], $slice: -MAX_REMEMBERED_TOKENS } },
      },
      { returnDocument: 'after' },
    )
    .lean<SessionRecord>();
  return rotated ? { session: rotated, refreshToken: successor } : undefined;
}

/** The successor already handed out for `parsed`, if it was rotated within the grace window. */
function successorWithinGrace(
  deps: SessionDeps,
  parsed: ParsedRefreshToken,
  session: SessionRecord,
  now: Date,
): string | undefined {
  const withinGrace =
    session.previousTokenHash === hashRefreshToken(parsed.token) &&
    session.rotatedAt !== null &&
    now.getTime() - session.rotatedAt.getTime() <= REFRESH_GRACE_SECONDS * 1000;
  if (!withinGrace) return undefined;
  return [deps.refreshKey, ...(deps.previousRefreshKeys ?? [])]
    .map((key) => successorOf(key, parsed))
    .find((candidate) => hashRefreshToken(candidate) === session.currentTokenHash);
}

/** Finds the session a genuine refresh token (current or earlier) belongs to. */
export async function findSessionByRefreshToken(
  deps: SessionDeps,
  token: string,
): Promise<SessionRecord | undefined> {
  const parsed = parseRefreshToken(token);
  if (!parsed) throw invalidRefreshToken();
  const session = await deps.sessions.findById(parsed.sessionId).lean<SessionRecord>();
  if (!session) return undefined;
  const presentedHash = hashRefreshToken(token);
  if (
    session.currentTokenHash !== presentedHash &&
    !session.usedTokenHashes.includes(presentedHash)
  ) {
    throw invalidRefreshToken();
  }
  return session;
}

export async function revokeSession(
  deps: Pick<SessionDeps, 'sessions' | 'revocations'>,
  sessionId: Types.ObjectId,
  userId: Types.ObjectId,
): Promise<boolean> {
  const result = await deps.sessions.updateOne(
    { _id: sessionId, userId, revokedAt: null },
    { $set: { revokedAt: new Date() } },
  );
  await deps.revocations.sessionEnded(sessionId);
  return result.modifiedCount === 1;
}

export async function revokeAllSessions(
  deps: Pick<SessionDeps, 'sessions' | 'revocations'>,
  userId: Types.ObjectId,
  options: { except?: Types.ObjectId } = {},
): Promise<number> {
  const filter: Record<string, unknown> = { userId, revokedAt: null };
  if (options.except) filter._id = { $ne: options.except };
  const result = await deps.sessions.updateMany(filter, { $set: { revokedAt: new Date() } });
  await deps.revocations.userChanged(userId);
  return result.modifiedCount;
}

/**
 * Ends every session of the user, and any that a login checked before this moment is still
 * about to create: the credentials version moves on, so such a session is born dead.
 */
export async function endAllSessions(
  deps: { users: UserModel; sessions: SessionModel; revocations: Revocations },
  userId: Types.ObjectId,
): Promise<void> {
  await deps.users.updateOne({ _id: userId }, { $inc: { credentialsVersion: 1 } });
  await revokeAllSessions(deps, userId);
}

export async function listActiveSessions(
  deps: Pick<SessionDeps, 'sessions'>,
  userId: Types.ObjectId,
): Promise<SessionRecord[]> {
  return deps.sessions
    .find({ userId, revokedAt: null, expiresAt: { $gt: new Date() } })
    .sort({ lastUsedAt: -1, _id: 1 })
    .lean<SessionRecord[]>();
}

export function secondsLeft(session: Pick<Session, 'expiresAt'>): number {
  return Math.max(0, Math.floor((session.expiresAt.getTime() - Date.now()) / 1000));
}
