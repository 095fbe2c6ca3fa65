import { Schema, type Connection, type Model, type Types } from 'mongoose';

export const ACCOUNT_TOKEN_PURPOSES = [
  'password_reset',
  'email_verification',
  'email_change',
] as const;
export type AccountTokenPurpose = (typeof ACCOUNT_TOKEN_PURPOSES)[number];

/**
 * A link mailed to the owner of an account. Only the SHA-256 of the token is stored: whoever
 * reads the database cannot use a link that is still valid. One document per user and
 * purpose, so issuing a new token replaces (and so invalidates) the one before.
 */
export interface AccountToken {
  userId: Types.ObjectId;
  purpose: AccountTokenPurpose;
  hash: string;
  /** The account's address when the token was issued; the token is void once it changes. */
  email: string;
  /** For an email change: the address to switch to. */
  newEmail: string | null;
  /** For an email change: the session that asked, which survives the confirmation. */
  sessionId: Types.ObjectId | null;
  createdAt: Date;
  /** MongoDB's TTL monitor deletes the document after this. */
  expiresAt: Date;
  usedAt: Date | null;
}

export type AccountTokenRecord = AccountToken & { _id: Types.ObjectId };
export type AccountTokenModel = Model<AccountToken>;

export function createAccountTokenModel(connection: Connection): AccountTokenModel {
  const schema = new Schema<AccountToken, AccountTokenModel>(
    {
      userId: { type: Schema.Types.ObjectId, required: true },
      purpose: { type: String, enum: ACCOUNT_TOKEN_PURPOSES, required: true },
      hash: { type: String, required: true, unique: true },
      email: { type: String, required: true },
      newEmail: { type: String, default: null },
      sessionId: { type: Schema.Types.ObjectId, default: null },
      createdAt: { type: Date, required: true },
      expiresAt: { type: Date, required: true, expires: 0 },
      usedAt: { type: Date, default: null },
    },
    { strict: 'throw', versionKey: false, collection: 'account_tokens' },
  );
  schema.index({ userId: 1, purpose: 1 }, { unique: true });
  return connection.model<AccountToken, AccountTokenModel>('AccountToken', schema);
}
