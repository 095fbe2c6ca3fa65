import mongoose, { type Connection } from 'mongoose';

const DEFAULT_DATABASE = 'keycard';

/** Opens a connection; a URI without a database name uses "keycard" rather than "test". */
export async function connectDatabase(uri: string): Promise<Connection> {
  const namesDatabase = /^mongodb(\+srv)?:\/\/[^/]+\/[^?/]+/.test(uri);
  const connection = mongoose.createConnection(uri, {
    dbName: namesDatabase ? undefined : DEFAULT_DATABASE,
    // Fail fast at start instead of buffering requests against a database that is not there.
    serverSelectionTimeoutMS: 10_000,
    bufferCommands: false,
    // Indexes are built explicitly by createAppContext, once, before the first request.
    autoIndex: false,
  });
  await connection.asPromise();
  return connection;
}
