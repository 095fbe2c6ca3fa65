import mongoose, { type Connection } from 'mongoose';
import { isDatabaseUnavailable } from './mongo-errors';

const DEFAULT_DATABASE = 'keycard';
// Each operation waits at most this long for a server: while the database is away, requests
// answer 503 within 2 s instead of hanging on the driver's default of 30 s.
const SERVER_SELECTION_MS = 1500;
const WAITING_NOTICE_MS = 500;

export interface ConnectOptions {
  /** How long to keep trying at start before giving up (MONGO_CONNECT_TIMEOUT). */
  timeoutMs?: number;
  /** Told once, early, when the database does not answer at once: where keycard is waiting. */
  onWaiting?: (hosts: string) => void;
}

/**
 * Opens a connection, waiting for the database to come up for at most `timeoutMs`. A URI
 * without a database name uses "keycard" rather than "test".
 */
export async function connectDatabase(
  uri: string,
  options: ConnectOptions = {},
): Promise<Connection> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  const notice = setTimeout(() => options.onWaiting?.(hostsOf(uri)), WAITING_NOTICE_MS);
  try {
    for (;;) {
      const connection = openConnection(uri);
      try {
        await connection.asPromise();
        return connection;
      } catch (error) {
        await connection.close(true).catch(() => undefined);
        if (!isDatabaseUnavailable(error) || Date.now() >= deadline) throw error;
      }
    }
  } finally {
    clearTimeout(notice);
  }
}

function openConnection(uri: string): Connection {
  const namesDatabase = /^mongodb(\+srv)?:\/\/[^/]+\/[^?/]+/.test(uri);
  return mongoose.createConnection(uri, {
    dbName: namesDatabase ? undefined : DEFAULT_DATABASE,
    serverSelectionTimeoutMS: SERVER_SELECTION_MS,
    bufferCommands: false,
    // Indexes are built explicitly by createAppContext, once, before the first request.
    autoIndex: false,
  });
}

/** The host list of a connection string, without its credentials (it goes to the log). */
export function hostsOf(uri: string): string {
  const afterScheme = uri.replace(/^[a-z+]+:\/\//i, '');
  const authority = afterScheme.split(/[/?]/)[0] ?? '';
  return authority.slice(authority.lastIndexOf('@') + 1);
}
