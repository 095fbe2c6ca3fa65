import type { Connection, Model } from 'mongoose';
import { Schema } from 'mongoose';

/** What changed: one session, everything about one user (and their sessions), or everything. */
export type AuthEvent =
  { kind: 'session'; id: string } | { kind: 'user'; id: string } | { kind: 'all' };

/**
 * One document holds the newest events in commit order with a sequence number: an update to
 * one document is atomic, so a reader never sees a later event without the earlier ones, on a
 * standalone server, a replica set or the embedded database alike.
 */
export interface AuthEventLog {
  _id: string;
  seq: number;
  recent: AuthEvent[];
}

export type AuthEventLogModel = Model<AuthEventLog>;

export const AUTH_EVENT_LOG_ID = 'auth';

export function createAuthEventLogModel(connection: Connection): AuthEventLogModel {
  const schema = new Schema<AuthEventLog>(
    {
      _id: { type: String, required: true },
      seq: { type: Number, required: true, default: 0 },
      recent: {
        type: [new Schema({ kind: String, id: String }, { _id: false })],
        default: [],
      },
    },
    { versionKey: false, collection: 'auth_events' },
  );
  return connection.model<AuthEventLog>('AuthEventLog', schema);
}
