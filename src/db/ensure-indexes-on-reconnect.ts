import type { ConnectionClosedEvent } from 'mongodb';
import type { Connection } from 'mongoose';

export interface IndexRebuildHooks {
  /** Builds every index keycard relies on; must be safe to run again (createIndexes is). */
  build: () => Promise<void>;
  onRebuilt?: () => void;
  onError?: (error: unknown) => void;
}

/**
 * Builds the indexes again each time the connection comes back after losing its server. A
 * database restarted empty (or a new primary restored without them) would otherwise take
 * duplicate emails, because the unique index is what refuses them and it was built only at
 * start-up. Mongoose emits 'reconnected' once the driver sees the server again after a
 * failed heartbeat or a dropped connection. Builds never overlap: a reconnect during a build
 * asks for one more build after it. Returns a function that stops listening.
 */
export function ensureIndexesOnReconnect(
  connection: Connection,
  hooks: IndexRebuildHooks,
): () => void {
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;

  const runOnce = async (): Promise<void> => {
    do {
      again = false;
      try {
        await hooks.build();
        hooks.onRebuilt?.();
      } catch (error) {
        // The server went away again: its next 'reconnected' brings the next attempt.
        hooks.onError?.(error);
      }
    } while (again && !stopped);
  };

  const onReconnected = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = runOnce().finally(() => {
      running = undefined;
    });
  };

  // Mongoose's event needs a 'disconnected' first, which a server restarted between two
  // heartbeats never causes: its pooled connections just fail and new ones open. So a
  // connection lost to an error makes the next new connection trigger a build too.
  let lostConnection = false;
  const onConnectionClosed = (event: ConnectionClosedEvent) => {
    if (event.reason === 'error') lostConnection = true;
  };
  const onConnectionReady = () => {
    if (!lostConnection) return;
    lostConnection = false;
    onReconnected();
  };
  const client = connection.getClient();
  connection.on('reconnected', onReconnected);
  client.on('connectionClosed', onConnectionClosed);
  client.on('connectionReady', onConnectionReady);
  return () => {
    stopped = true;
    connection.off('reconnected', onReconnected);
    client.off('connectionClosed', onConnectionClosed);
    client.off('connectionReady', onConnectionReady);
  };
}
