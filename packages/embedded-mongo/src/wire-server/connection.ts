import type net from 'node:net';
import type { ConnectionSession, ServerState } from './commands/command-context';
import { handleFrame } from './frame-handler';
import { MessageFramer, maxMessageSizeBytes } from './wire-protocol';

/**
 * Before a login only the handshake and SASL messages are allowed, and the driver keeps those
 * under a kilobyte; anything longer is closed at its first four bytes, unread. Without this, a
 * client that may not even log in could make the server hold 48 MB per connection.
 */
export const maxUnauthenticatedMessageBytes = 16 * 1024;

/** The bytes all connections together may hold in messages not yet run. */
export interface BufferBudget {
  used: number;
  readonly limit: number;
}

export interface ConnectionLimits {
  readonly idleTimeoutMs: number;
  readonly buffers: BufferBudget;
}

function needsLogin(state: ServerState, session: ConnectionSession): boolean {
  return state.credential !== undefined && session.user === undefined;
}

/** The next complete message, undefined until there is one, or 'invalid' for a bad length. */
function nextMessage(framer: MessageFramer): Buffer | undefined | 'invalid' {
  try {
    return framer.next();
  } catch {
    return 'invalid';
  }
}

/**
 * Reads messages from one client socket and writes each reply, in order, until it closes. The
 * connection is closed, and only it, when its stream can't be trusted any more (a bad length,
 * an unknown opcode), when it would take the shared buffer budget past its limit, or when it
 * completes no message for `idleTimeoutMs`. While a reply waits for the client to read it, no
 * further message is run: a client that never reads cannot pile up replies in memory.
 */
export function serveConnection(
  socket: net.Socket,
  state: ServerState,
  session: ConnectionSession,
  limits: ConnectionLimits,
): void {
  socket.setNoDelay(true);
  const framer = new MessageFramer(() =>
    needsLogin(state, session) ? maxUnauthenticatedMessageBytes : maxMessageSizeBytes,
  );
  let held = 0;
  let waitingForDrain = false;
  const close = () => socket.destroy();
  const idle = setTimeout(close, limits.idleTimeoutMs);
  idle.unref();
  const recount = () => {
    limits.buffers.used += framer.bufferedBytes - held;
    held = framer.bufferedBytes;
  };

  const serve = (): void => {
    while (!waitingForDrain && !socket.destroyed) {
      const frame = nextMessage(framer);
      recount();
      if (frame === undefined) return;
      // After a bad length the stream cannot be resynchronised: drop this connection only.
      const reply = frame === 'invalid' ? 'close' : handleFrame(frame, state, session);
      if (reply === 'close') {
        close();
        return;
      }
      idle.refresh();
      if (reply && !socket.destroyed && !socket.write(reply)) {
        waitingForDrain = true;
        socket.pause();
      }
    }
  };

  socket.on('drain', () => {
    if (!waitingForDrain) return;
    waitingForDrain = false;
    socket.resume();
    serve();
  });
  socket.on('data', (chunk: Buffer) => {
    if (limits.buffers.used + chunk.length > limits.buffers.limit) {
      close();
      return;
    }
    framer.push(chunk);
    recount();
    serve();
  });
  socket.on('error', close);
  socket.on('close', () => {
    clearTimeout(idle);
    limits.buffers.used -= held;
    held = 0;
  });
}
