import net from 'node:net';
import { CollectionStore } from './collection-store';
import type { ServerState } from './commands/command-context';
import { serveConnection } from './connection';
import { CursorStore } from './cursor-store';
import { defaultTtlSweepIntervalMs, sweepExpiredDocuments, TtlSweeper } from './ttl-sweeper';

export interface WireServerOptions {
  host?: string;
  port?: number;
  ttlSweepIntervalMs?: number;
}

export interface WireServer {
  uri: string;
  port: number;
  stop(): Promise<void>;
  /** Runs the TTL sweep now; returns how many documents were removed. */
  sweepExpired(): number;
}

/** The data and timers every connection shares. */
function createServerState(ttlSweepIntervalMs: number) {
  const store = new CollectionStore();
  const cursors = new CursorStore();
  const sweep = () => {
    cursors.reapIdle(Date.now());
    return sweepExpiredDocuments(store);
  };
  const sweeper = new TtlSweeper(ttlSweepIntervalMs, sweep);
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

export async function startWireServer(options: WireServerOptions = {}): Promise<WireServer> {
  const host = options.host ?? '127.0.0.1';
  const { state, sweep, sweeper } = createServerState(
    options.ttlSweepIntervalMs ?? defaultTtlSweepIntervalMs,
  );
  const sockets = new Set<net.Socket>();
  let nextConnectionId = 1;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    serveConnection(socket, state, nextConnectionId++);
  });
  const port = await listen(server, host, options.port ?? 0);
  sweeper.start();
  let stopped: Promise<void> | undefined;

  return {
    uri: `mongodb://${host}:${port}/`,
    port,
    sweepExpired: sweep,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        sweeper.stop();
        state.cursors.clear();
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      });
      return stopped;
    },
  };
}
