import net from 'node:net';
import { connectionUri, resolveCredentials, type AuthOption } from './auth/credentials';
import { deriveScramCredential } from './auth/scram-sha-256';
import { CollectionStore } from './collection-store';
import type { ConnectionSession, ServerState } from './commands/command-context';
import { serveConnection, type ConnectionLimits } from './connection';
import { CursorStore } from './cursor-store';
import {
  defaultHeapGrowthLimitBytes,
  defaultTimeLimitMs,
  type CommandLimits,
} from './limits/command-limits';
import {
  defaultCheckpointJournalBytes,
  openDataDirectory,
  type DataDirectory,
} from './persistence/data-directory';
import { defaultJournalSyncIntervalMs } from './persistence/journal';
import { defaultTtlSweepIntervalMs, sweepExpiredDocuments, TtlSweeper } from './ttl-sweeper';
import { maxMessageSizeBytes } from './wire-protocol';

export interface WireServerOptions {
  host?: string;
  port?: number;
  ttlSweepIntervalMs?: number;
  /**
   * A directory to keep the data in (created if missing), like mongod's --dbpath. Unset: the
   * data lives in memory and is gone after stop().
   */
  dbPath?: string;
  /** How often the journal is flushed to disk; default 100 ms, like mongod's commitIntervalMs. */
  journalSyncIntervalMs?: number;
  /** The journal size (bytes) below which no checkpoint runs; default 64 MiB. */
  checkpointJournalBytes?: number;
  /** What the server has to say: a stale lock taken over, a torn journal record ignored. */
  log?: (message: string) => void;
  /**
   * Demand a login (SCRAM-SHA-256): `true` makes random credentials for this run, which appear
   * only in `uri`; `{ username, password }` demands those. Default: no login, open to anyone
   * who can reach the port.
   */
  auth?: AuthOption;
  /** mongod's maxIncomingConnections: connections past this many are closed at once. */
  maxIncomingConnections?: number;
  /** A connection that completes no message for this long is closed. */
  idleTimeoutMs?: number;
  /** Bytes of incoming messages all connections together may hold before they run. */
  maxBufferedBytes?: number;
  /** How long one command may spend evaluating filters, pipelines and updates. */
  commandTimeLimitMs?: number;
  /** How far one command may grow the JS heap. Default: a quarter of the heap limit, ≤ 1 GiB. */
  commandHeapLimitBytes?: number;
}

export interface WireServer {
  /** The mongodb:// URI, credentials included when the server demands them: never log it. */
  uri: string;
  /** host:port, without credentials: what to show in logs. */
  address: string;
  port: number;
  stop(): Promise<void>;
  /** Runs the TTL sweep now; returns how many documents were removed. */
  sweepExpired(): number;
  /** With a dbPath: writes a snapshot now and empties the journal. Without one: does nothing. */
  checkpoint(): void;
}

export const defaultMaxIncomingConnections = 1_000;
export const defaultIdleTimeoutMs = 5 * 60 * 1000;
/** Room for two messages of the largest size at once. */
export const defaultMaxBufferedBytes = 2 * maxMessageSizeBytes;

function positiveInteger(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new Error(`wire server ${name} must be a positive whole number; got ${String(value)}`);
  }
  return value;
}

/** The data and timers every connection shares. */
function createServerState(
  ttlSweepIntervalMs: number,
  credential: ServerState['credential'],
  limits: CommandLimits,
) {
  const store = new CollectionStore();
  const cursors = new CursorStore();
  const sweep = () => {
    cursors.reapIdle(Date.now());
    // Deletions are journaled like a client's: a restart does not bring expired documents back.
    return store.journaled(undefined, () => sweepExpiredDocuments(store));
  };
  const sweeper = new TtlSweeper(ttlSweepIntervalMs, () => {
    try {
      sweep();
    } catch {
      // Only a failed journal throws here, and every client command now reports that failure.
    }
  });
  const state: ServerState = {
    store,
    cursors,
    startedAt: Date.now(),
    credential,
    limits,
    ttlMonitorSleepSecs: () => sweeper.intervalMs / 1000,
    setTtlMonitorSleepSecs: (seconds) => sweeper.reschedule(seconds * 1000),
  };
  return { state, sweep, sweeper };
}

/** Starts listening and resolves with the port, or rejects when the port cannot be had. */
async function listen(server: net.Server, host: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', () => undefined);
  const address = server.address();
  if (address === null || typeof address === 'string')
    throw new Error('wire server has no TCP address');
  return address.port;
}

/** Loads the data directory into the store, when there is one; before any client connects. */
function openStorage(state: ServerState, options: WireServerOptions): DataDirectory | undefined {
  if (options.dbPath === undefined) return undefined;
  return openDataDirectory(state.store, options.dbPath, {
    log: options.log ?? ((message) => console.warn(`wire server: ${message}`)),
    syncIntervalMs: options.journalSyncIntervalMs ?? defaultJournalSyncIntervalMs,
    checkpointJournalBytes: options.checkpointJournalBytes ?? defaultCheckpointJournalBytes,
  });
}

/** The options' limits, with their defaults; throws on a value that is not a positive integer. */
function resolveLimits(options: WireServerOptions) {
  const maxBufferedBytes = positiveInteger(
    options.maxBufferedBytes,
    'maxBufferedBytes',
    defaultMaxBufferedBytes,
  );
  const connection: ConnectionLimits = {
    idleTimeoutMs: positiveInteger(options.idleTimeoutMs, 'idleTimeoutMs', defaultIdleTimeoutMs),
    buffers: { used: 0, limit: maxBufferedBytes },
  };
  const command: CommandLimits = {
    timeLimitMs: positiveInteger(
      options.commandTimeLimitMs,
      'commandTimeLimitMs',
      defaultTimeLimitMs,
    ),
    heapGrowthLimitBytes: positiveInteger(
      options.commandHeapLimitBytes,
      'commandHeapLimitBytes',
      defaultHeapGrowthLimitBytes(),
    ),
  };
  const maxConnections = positiveInteger(
    options.maxIncomingConnections,
    'maxIncomingConnections',
    defaultMaxIncomingConnections,
  );
  return { maxConnections, connection, command };
}

export async function startWireServer(options: WireServerOptions = {}): Promise<WireServer> {
  const host = options.host ?? '127.0.0.1';
  const limits = resolveLimits(options);
  const credentials = resolveCredentials(options.auth);
  // Only the derived SCRAM keys are kept; the password itself lives on in the URI alone.
  const credential =
    credentials && deriveScramCredential(credentials.username, credentials.password);
  const { state, sweep, sweeper } = createServerState(
    options.ttlSweepIntervalMs ?? defaultTtlSweepIntervalMs,
    credential,
    limits.command,
  );
  const storage = openStorage(state, options);
  const sockets = new Set<net.Socket>();
  let nextConnectionId = 1;
  const server = net.createServer((socket) => {
    // Like mongod past maxIncomingConnections: accepted, then closed before reading a byte.
    if (sockets.size >= limits.maxConnections) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const session: ConnectionSession = {
      id: nextConnectionId++,
      user: undefined,
      conversation: undefined,
    };
    serveConnection(socket, state, session, limits.connection);
  });
  let port: number;
  try {
    port = await listen(server, host, options.port ?? 0);
  } catch (error) {
    await storage?.close();
    throw error;
  }
  sweeper.start();
  let stopped: Promise<void> | undefined;

  return {
    uri: connectionUri(host, port, credentials),
    address: `${host}:${port}`,
    port,
    sweepExpired: sweep,
    checkpoint: () => storage?.checkpoint(),
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        sweeper.stop();
        state.cursors.clear();
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }).then(() => storage?.close());
      return stopped;
    },
  };
}
