import { Schema, type Connection, type Model, type Types } from 'mongoose';

export const MAIL_TEMPLATES = [
  'password_reset',
  'password_changed',
  'email_verification',
  'email_change',
  'email_changed',
] as const;
export type MailTemplateName = (typeof MAIL_TEMPLATES)[number];

/**
 * `decoy`: written for a password reset asked for an address without an account, so that the
 * request does exactly the work a real one does; never sent, deleted by the TTL monitor.
 */
export const MAIL_STATUSES = ['pending', 'sent', 'failed', 'decoy'] as const;
export type MailStatus = (typeof MAIL_STATUSES)[number];

/**
 * One mail to deliver. A request writes it and answers; a sender loop on any instance claims
 * it with a lease, delivers it and records the outcome. Values that grant access (the link
 * with its token) are kept only sealed, encrypted under a key derived from JWT_SECRET, and are
 * removed once the mail is sent or has failed.
 */
export interface OutboxMail {
  to: string;
  template: MailTemplateName;
  /** Template values that grant nothing (a name, an address). */
  values: Record<string, string>;
  /** The values that grant access, sealed (core/mail/sealed-box.ts); null once finished. */
  sealed: string | null;
  userId: Types.ObjectId | null;
  status: MailStatus;
  attempts: number;
  nextAttemptAt: Date;
  /** Whoever holds an unexpired lease is delivering the mail: nobody else may. */
  leaseUntil: Date;
  leaseOwner: string | null;
  lastError: string | null;
  createdAt: Date;
  finishedAt: Date | null;
  /** Set when the mail is finished; MongoDB's TTL monitor then deletes the record. */
  deleteAt: Date | null;
}

export type OutboxMailRecord = OutboxMail & { _id: Types.ObjectId };
export type MailOutboxModel = Model<OutboxMail>;

export function createMailOutboxModel(connection: Connection): MailOutboxModel {
  const schema = new Schema<OutboxMail, MailOutboxModel>(
    {
      to: { type: String, required: true },
      template: { type: String, enum: MAIL_TEMPLATES, required: true },
      values: { type: Schema.Types.Mixed, default: {} },
      sealed: { type: String, default: null },
      userId: { type: Schema.Types.ObjectId, default: null },
      status: { type: String, enum: MAIL_STATUSES, required: true },
      attempts: { type: Number, default: 0 },
      nextAttemptAt: { type: Date, required: true },
      leaseUntil: { type: Date, required: true },
      leaseOwner: { type: String, default: null },
      lastError: { type: String, default: null },
      createdAt: { type: Date, required: true },
      finishedAt: { type: Date, default: null },
      deleteAt: { type: Date, default: null, expires: 0 },
    },
    { strict: 'throw', versionKey: false, collection: 'mail_outbox', minimize: false },
  );
  schema.index({ status: 1, nextAttemptAt: 1 });
  return connection.model<OutboxMail, MailOutboxModel>('MailOutbox', schema);
}
