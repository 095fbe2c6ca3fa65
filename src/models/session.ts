import { Schema, Types, type Connection, type HydratedDocument, type Model } from 'mongoose';

/**
 * One login on one device. The refresh token itself is never stored: only the SHA-256 of the
 * current one and of every earlier one, so that any rotated-away token is recognised as reuse.
 */
export interface Session {
  userId: Types.ObjectId;
  currentTokenHash: string;
  /** Hash of the token that the current one replaced, for the short race grace window. */
  previousTokenHash: string | null;
  /** Every token of this session that has been rotated away (reuse detection). */
  usedTokenHashes: string[];
  rotatedAt: Date | null;
  userAgent: string;
  ip: string;
  createdAt: Date;
  lastUsedAt: Date;
  /** Absolute end of the session; rotation never moves it. MongoDB's TTL monitor deletes it. */
  expiresAt: Date;
  revokedAt: Date | null;
  /** The user's credentialsVersion when the password that opened this session was checked. */
  credentialsVersion: number;
}

export type SessionModel = Model<Session>;
export type SessionDocument = HydratedDocument<Session>;

export function createSessionModel(connection: Connection): SessionModel {
  const schema = new Schema<Session, SessionModel>(
    {
      userId: { type: Schema.Types.ObjectId, required: true, index: true },
      currentTokenHash: { type: String, required: true },
      previousTokenHash: { type: String, default: null },
      usedTokenHashes: { type: [String], default: [] },
      rotatedAt: { type: Date, default: null },
      userAgent: { type: String, default: '' },
      ip: { type: String, default: '' },
      createdAt: { type: Date, required: true },
      lastUsedAt: { type: Date, required: true },
      expiresAt: { type: Date, required: true, expires: 0 },
      revokedAt: { type: Date, default: null },
      credentialsVersion: { type: Number, default: 0 },
    },
    { strict: 'throw', versionKey: false },
  );
  return connection.model<Session, SessionModel>('Session', schema);
}

export function isActive(
  session: Pick<Session, 'revokedAt' | 'expiresAt'>,
  now = new Date(),
): boolean {
  return session.revokedAt === null && session.expiresAt.getTime() > now.getTime();
}

/**
 * False once the user's credentials changed after this session's password check: a login that
 * raced a password change must not outlive it. Documents from before the field read as 0.
 */
export function matchesCredentials(
  session: Pick<Session, 'credentialsVersion'>,
  user: { credentialsVersion?: number },
): boolean {
  return (session.credentialsVersion ?? 0) >= (user.credentialsVersion ?? 0);
}
