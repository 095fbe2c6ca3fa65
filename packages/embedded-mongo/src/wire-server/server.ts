import net from 'node:net';
import { BSONError } from 'bson';
import type { BsonDocument } from './bson-values';
import { CollectionStore } from './collection-store';
import { runCommand } from './commands';
import type { CommandContext, ServerState } from './commands/command-context';
import { helloReply } from './commands/handshake';
import { CursorStore } from './cursor-store';
import { CommandError } from './errors';
import { defaultTtlSweepIntervalMs, sweepExpiredDocuments, TtlSweeper } from './ttl-sweeper';
import {
  encodeOpMsg,
  encodeOpReply,
  MessageFramer,
  OpCode,
  parseMessage,
  ProtocolError,
  readHeader,
  type IncomingMessage,
} from './wire-protocol';

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

function errorReply(error: unknown): BsonDocument {
  if (error instanceof CommandError) return error.toReply();
  const message = error instanceof Error ? error.message : String(error);
  return { ok: 0, errmsg: message, code: 1, codeName: 'InternalError' };
}

function legacyHandshake(
  message: Extract<IncomingMessage, { kind: 'query' }>,
  context: CommandContext,
): BsonDocument {
  const [name] = Object.keys(message.query);
  // Legacy OP_QUERY only carries the handshake since MongoDB 6.0.
  if (
    !message.fullCollectionName.endsWith('.$cmd') ||
    (name !== 'ismaster' && name !== 'isMaster' && name !== 'hello')
  ) {
    throw new CommandError(
      'UnsupportedOpQueryCommand',
      `Unsupported OP_QUERY command: ${name ?? ''}. The client driver may require an upgrade. For more details see https://dochub.mongodb.org/core/legacy-opcode-removal`,
    );
  }
  return helloReply(message.query, context, name !== 'hello');
}

export async function startWireServer(options: WireServerOptions = {}): Promise<WireServer> {
  const host = options.host ?? '127.0.0.1';
  const store = new CollectionStore();
  const cursors = new CursorStore();
  const sweep = () => {
    cursors.reapIdle(Date.now());
    return sweepExpiredDocuments(store);
  };
  const sweeper = new TtlSweeper(options.ttlSweepIntervalMs ?? defaultTtlSweepIntervalMs, sweep);
  const state: ServerState = {
    store,
    cursors,
    startedAt: Date.now(),
    ttlMonitorSleepSecs: () => sweeper.intervalMs / 1000,
    setTtlMonitorSleepSecs: (seconds) => sweeper.reschedule(seconds * 1000),
  };
  const sockets = new Set<net.Socket>();
  let nextConnectionId = 1;

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    const connectionId = nextConnectionId++;
    const framer = new MessageFramer();
    socket.on('close', () => sockets.delete(socket));
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
        const reply = handleFrame(frame, connectionId);
        if (reply === 'close') {
          socket.destroy();
          return;
        }
        if (reply && !socket.destroyed) socket.write(reply);
      }
    });
  });

  function handleFrame(frame: Buffer, connectionId: number): Buffer | undefined | 'close' {
    const header = readHeader(frame);
    let message: IncomingMessage;
    try {
      message = parseMessage(frame);
    } catch (error) {
      const reason =
        error instanceof ProtocolError || error instanceof BSONError
          ? error.message
          : 'malformed message';
      const reply = new CommandError('FailedToParse', reason).toReply();
      // Answer in the shape the client is waiting for: OP_REPLY for OP_QUERY, OP_MSG otherwise.
      return header.opCode === OpCode.Query
        ? encodeOpReply(header.requestId, reply)
        : encodeOpMsg(header.requestId, reply);
    }
    if (message.kind === 'unsupported') return 'close';
    const database =
      message.kind === 'msg'
        ? typeof message.command.$db === 'string'
          ? message.command.$db
          : undefined
        : message.fullCollectionName.split('.')[0];
    const context: CommandContext = { server: state, database: database ?? 'admin', connectionId };
    if (message.kind === 'query') {
      let document: BsonDocument;
      try {
        document = legacyHandshake(message, context);
      } catch (error) {
        document = errorReply(error);
      }
      return encodeOpReply(header.requestId, document);
    }
    let document: BsonDocument;
    try {
      if (database === undefined)
        throw new CommandError('FailedToParse', 'OP_MSG requests require a $db argument');
      document = runCommand(message.command, context);
    } catch (error) {
      document = errorReply(error);
    }
    if (message.moreToCome) return undefined;
    try {
      return encodeOpMsg(header.requestId, document);
    } catch (error) {
      return encodeOpMsg(header.requestId, errorReply(error));
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', () => undefined);
  sweeper.start();

  const address = server.address();
  if (address === null || typeof address === 'string')
    throw new Error('wire server has no TCP address');
  const port = address.port;
  let stopped: Promise<void> | undefined;

  return {
    uri: `mongodb://${host}:${port}/`,
    port,
    sweepExpired: sweep,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        sweeper.stop();
        cursors.clear();
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      });
      return stopped;
    },
  };
}
