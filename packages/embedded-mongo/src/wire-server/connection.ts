import type net from 'node:net';
import type { ServerState } from './commands/command-context';
import { handleFrame } from './frame-handler';
import { MessageFramer } from './wire-protocol';

/** Reads messages from one client socket and writes each reply, in order, until it closes. */
export function serveConnection(
  socket: net.Socket,
  state: ServerState,
  connectionId: number,
): void {
  socket.setNoDelay(true);
  const framer = new MessageFramer();
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: Buffer) => {
    let frames: Buffer[];
    try {
      frames = framer.push(chunk);
    } catch {
      // The stream cannot be resynchronised after a bad length: drop the connection only.
      socket.destroy();
      return;
    }
    for (const frame of frames) {
      const reply = handleFrame(frame, state, connectionId);
      if (reply === 'close') {
        socket.destroy();
        return;
      }
      if (reply && !socket.destroyed) socket.write(reply);
    }
  });
}
