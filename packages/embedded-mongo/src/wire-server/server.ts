import net from 'node:net';
import { CollectionStore } from './collection-store';
import type { ServerState } from './commands/command-context';
import { serveConnection } from './connection';
import { CursorStore } from './cursor-store';
import {
  defaultCheckpointJournalBytes,
  openDataDirectory,
  type DataDirectory,
} from './persistence/data-directory';
import { defaultJournalSyncIntervalMs } from './persistence/journal';
import { defaultTtlSweepIntervalMs, sweepExpiredDocuments, TtlSweeper } from './ttl-sweeper';

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
}

export interface WireServer {
  uri: string;
  port: number;
  stop(): Promise<void>;
  /** Runs the TTL sweep now; returns how many documents were removed. */
  sweepExpired(): number;
  /** With a dbPath: writes a snapshot now and empties the journal. Without one: does nothing. */
  checkpoint(): void;
}

/** The data and timers every connection shares. */
function createServerState(ttlSweepIntervalMs: number) {
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

export async function startWireServer(options: WireServerOptions = {}): Promise<WireServer> {
  const host = options.host ?? '127.0.0.1';
  const { state, sweep, sweeper } = createServerState(
    options.ttlSweepIntervalMs ?? defaultTtlSweepIntervalMs,
  );
  const storage = openStorage(state, options);
  const sockets = new Set<net.Socket>();
  let nextConnectionId = 1;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    serveConnection(socket, state, nextConnectionId++);
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
    uri: `mongodb://${host}:${port}/`,
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
