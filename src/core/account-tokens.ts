import { createHash, randomBytes } from 'node:crypto';
import { Types } from 'mongoose';
import { isDuplicateKeyError } from '../db/mongo-errors';
import type {
  AccountTokenModel,
  AccountTokenPurpose,
  AccountTokenRecord,
} from '../models/account-token';

// 256 random bits: far past the 128 that make guessing hopeless, in 43 URL-safe characters.
const TOKEN_BYTES = 32;

/** How long the links in recovery and confirmation mails stay valid. */
export interface AccountTokenLifetimes {
  passwordResetSeconds: number;
  /** Both the verification link and the link that confirms a new address. */
  emailVerificationSeconds: number;
}

export interface TokenSpec {
  userId: Types.ObjectId;
  purpose: AccountTokenPurpose;
  email: string;
  newEmail?: string;
  sessionId?: Types.ObjectId;
  ttlSeconds: number;
}

export interface AccountTokens {
  /** A new token for the user and purpose; any earlier one of that purpose stops working. */
  issue(spec: TokenSpec): Promise<string>;
  /**
   * The same work and write as issue, for an address without an account: a token-shaped record
   * for a user id no account has (derived from the address, so asking again replaces it just
   * as for a real account). Its token is thrown away at once; the TTL index deletes it.
   */
  issueDecoy(spec: Omit<TokenSpec, 'userId'>): Promise<void>;
  /**
   * Marks an unused, unexpired token used and returns it, or null. One atomic update: of two
   * requests presenting the same token, exactly one gets it.
   */
  claim(
    token: string,
    purposes: readonly AccountTokenPurpose[],
  ): Promise<AccountTokenRecord | null>;
  /** Gives a claimed token back when the work it was claimed for could not be done. */
  release(claimed: AccountTokenRecord): Promise<void>;
  /** Voids the tokens of these purposes, e.g. a pending email change after a password reset. */
  revoke(userId: Types.ObjectId, purposes: readonly AccountTokenPurpose[]): Promise<void>;
}

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');

export function createAccountTokens(model: AccountTokenModel): AccountTokens {
  function fieldsOf(spec: Omit<TokenSpec, 'userId'>, hash: string) {
    const now = new Date();
    return {
      hash,
      email: spec.email,
      newEmail: spec.newEmail ?? null,
      sessionId: spec.sessionId ?? null,
      createdAt: now,
      expiresAt: new Date(now.getTime() + spec.ttlSeconds * 1000),
      usedAt: null,
    };
  }

  async function replace(spec: TokenSpec, hash: string): Promise<void> {
    await model.updateOne(
      { userId: spec.userId, purpose: spec.purpose },
      { $set: fieldsOf(spec, hash) },
      { upsert: true },
    );
  }

  return {
    async issue(spec) {
      const token = randomBytes(TOKEN_BYTES).toString('base64url');
      const hash = hashOf(token);
      try {
        await replace(spec, hash);
      } catch (error) {
        // Two upserts for one user and purpose raced and one inserted first: update it instead.
        if (!isDuplicateKeyError(error)) throw error;
        await replace(spec, hash);
      }
      return token;
    },

    async issueDecoy(spec) {
      const hash = hashOf(randomBytes(TOKEN_BYTES).toString('base64url'));
      const userId = new Types.ObjectId(
        createHash('sha256').update(`keycard decoy ${spec.email}`).digest().subarray(0, 12),
      );
      await replace({ ...spec, userId }, hash);
    },

    async claim(token, purposes) {
      const now = new Date();
      return model
        .findOneAndUpdate(
          {
            hash: hashOf(token),
            purpose: { $in: purposes },
            usedAt: null,
            expiresAt: { $gt: now },
          },
          { $set: { usedAt: now } },
          { returnDocument: 'after' },
        )
        .lean<AccountTokenRecord>();
    },

    async release(claimed) {
      await model.updateOne(
        { _id: claimed._id, hash: claimed.hash, usedAt: claimed.usedAt },
        { $set: { usedAt: null } },
      );
    },

    async revoke(userId, purposes) {
      await model.deleteMany({ userId, purpose: { $in: purposes } });
    },
  };
}
