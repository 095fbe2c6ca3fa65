import type { Collection, Connection, Model } from 'mongoose';
import { Schema } from 'mongoose';

/** A password check let in and not yet reported back, holding its place until `until`. */
export interface CheckInFlight {
  id: string;
  until: number;
}

/**
 * Everything the login throttle knows about one key (an email + client pair, a device, an
 * email) in one document, so that letting a check in and recording its outcome are one atomic
 * update each. Times are milliseconds since the epoch: update pipelines compare and add them.
 */
export interface LoginGateRecord {
  /** "<gate>:<key>", e.g. "pair:ada@example.com|127.0.0.1". */
  _id: string;
  failures: number;
  /** When the failures are forgotten: the end of their window, or of the block they started. */
  failuresUntil: number;
  /** Blocks started in the current window; each lasts twice as long as the one before. */
  blocks: number;
  blocksUntil: number;
  inFlight: CheckInFlight[];
  /** The latest of the times above: the TTL index removes the document then. */
  expireAt: Date;
}

export type LoginGateModel = Model<LoginGateRecord>;

export function createLoginGateModel(connection: Connection): LoginGateModel {
  const schema = new Schema<LoginGateRecord>(
    {
      _id: { type: String, required: true },
      failures: { type: Number, default: 0 },
      failuresUntil: { type: Number, default: 0 },
      blocks: { type: Number, default: 0 },
      blocksUntil: { type: Number, default: 0 },
      inFlight: { type: [new Schema({ id: String, until: Number }, { _id: false })], default: [] },
      expireAt: { type: Date, expires: 0 },
    },
    { versionKey: false, collection: 'login_gates' },
  );
  return connection.model<LoginGateRecord>('LoginGate', schema);
}

/** Typed for the driver: the throttle's updates are pipelines, which Mongoose does not cast. */
export function loginGateCollection(model: LoginGateModel): Collection<LoginGateRecord> {
  return model.db.collection<LoginGateRecord>(model.collection.collectionName);
}
