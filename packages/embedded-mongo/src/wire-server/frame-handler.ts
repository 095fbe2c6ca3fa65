import { BSONError } from 'bson';
import type { BsonDocument } from './bson-values';
import { runCommand } from './commands';
import type { ConnectionContext, ConnectionSession, ServerState } from './commands/command-context';
import { helloReply } from './commands/handshake';
import { CommandError } from './errors';
import { objectTooLarge } from './limits/document-size';
import {
  DocumentTooLargeError,
  encodeOpMsg,
  encodeOpReply,
  OpCode,
  parseMessage,
  ProtocolError,
  readHeader,
  type IncomingMessage,
} from './wire-protocol';

/** The bytes to send back, nothing (the client asked for no reply), or 'close' the connection. */
export type FrameOutcome = Buffer | undefined | 'close';

type QueryMessage = Extract<IncomingMessage, { kind: 'query' }>;
type CommandMessage = Extract<IncomingMessage, { kind: 'msg' }>;

function errorReply(error: unknown): BsonDocument {
  if (error instanceof CommandError) return error.toReply();
  if (error instanceof DocumentTooLargeError) return objectTooLarge(error.size).toReply();
  const message = error instanceof Error ? error.message : String(error);
  return { ok: 0, errmsg: message, code: 1, codeName: 'InternalError' };
}

function legacyHandshake(message: QueryMessage, context: ConnectionContext): BsonDocument {
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

function malformedMessageReply(requestId: number, opCode: number, error: unknown): Buffer {
  let reply: BsonDocument;
  if (error instanceof DocumentTooLargeError) reply = objectTooLarge(error.size).toReply();
  else if (error instanceof BSONError)
    reply = new CommandError('InvalidBSON', error.message).toReply();
  else {
    const reason = error instanceof ProtocolError ? error.message : 'malformed message';
    reply = new CommandError('FailedToParse', reason).toReply();
  }
  // Answer in the shape the client is waiting for: OP_REPLY for OP_QUERY, OP_MSG otherwise.
  return opCode === OpCode.Query ? encodeOpReply(requestId, reply) : encodeOpMsg(requestId, reply);
}

function connectionContext(
  state: ServerState,
  session: ConnectionSession,
  database: string,
): ConnectionContext {
  return { server: state, database, connectionId: session.id, session };
}

function answerQuery(
  requestId: number,
  message: QueryMessage,
  state: ServerState,
  session: ConnectionSession,
): Buffer {
  const database = message.fullCollectionName.split('.')[0] ?? 'admin';
  const context = connectionContext(state, session, database);
  let document: BsonDocument;
  try {
    document = legacyHandshake(message, context);
  } catch (error) {
    document = errorReply(error);
  }
  return encodeOpReply(requestId, document);
}

function answerCommand(
  requestId: number,
  message: CommandMessage,
  state: ServerState,
  session: ConnectionSession,
): Buffer | undefined {
  const database = typeof message.command.$db === 'string' ? message.command.$db : undefined;
  const context = connectionContext(state, session, database ?? 'admin');
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
    return encodeOpMsg(requestId, document);
  } catch (error) {
    return encodeOpMsg(requestId, errorReply(error));
  }
}

/** Parses one complete message, runs what it asks and encodes the reply. Never throws. */
export function handleFrame(
  frame: Buffer,
  state: ServerState,
  session: ConnectionSession,
): FrameOutcome {
  const header = readHeader(frame);
  let message: IncomingMessage;
  try {
    message = parseMessage(frame);
  } catch (error) {
    return malformedMessageReply(header.requestId, header.opCode, error);
  }
  if (message.kind === 'unsupported') return 'close';
  if (message.kind === 'query') return answerQuery(header.requestId, message, state, session);
  return answerCommand(header.requestId, message, state, session);
}
