import mongoose from 'mongoose';

const { mongo } = mongoose;

/** MongoDB's duplicate-key error (a unique index refused a write), from the driver or Mongoose. */
export function isDuplicateKeyError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 11000;
}

// The driver's ways of saying "no server to talk to": none selectable in time, the connection
// dropped or timed out (a pool cleared by a network error is a MongoNetworkError too), or the
// client closed.
const UNAVAILABLE = [
  mongo.MongoServerSelectionError,
  mongo.MongoNetworkError,
  mongo.MongoNotConnectedError,
  mongo.MongoTopologyClosedError,
  mongo.MongoServerClosedError,
  mongo.MongoClientClosedError,
  mongoose.Error.MongooseServerSelectionError,
];

/** True when an error means the database could not be reached, rather than that it refused. */
export function isDatabaseUnavailable(error: unknown): boolean {
  return UNAVAILABLE.some((type) => error instanceof type);
}
