import { Binary } from 'bson';
import {
  finishScramConversation,
  ScramError,
  scramSha256,
  startScramConversation,
  type ScramCredential,
} from '../auth/scram-sha-256';
import { isDocument, type BsonDocument } from '../bson-values';
import { CommandError } from '../errors';
import type { CommandHandler, ConnectionContext } from './command-context';

// SCRAM-SHA-256 through saslStart/saslContinue, and the two hello fields that let the driver
// pick the mechanism (saslSupportedMechs) and save a round trip (speculativeAuthenticate).

/** What a connection may run before it authenticates, as on mongod: the handshake and auth. */
const allowedBeforeAuthentication = new Set([
  'hello',
  'isMaster',
  'ismaster',
  'saslStart',
  'saslContinue',
  'ping',
  'buildInfo',
  'buildinfo',
]);

/** mongod keeps one conversation per connection and always numbers it 1. */
const conversationId = 1;

function authenticationFailed(): CommandError {
  return new CommandError('AuthenticationFailed', 'Authentication failed.');
}

/** Throws Unauthorized (13), as mongod does, when the command needs a login the client lacks. */
export function requireAuthentication(name: string, context: ConnectionContext): void {
  if (context.server.credential === undefined || context.session.user !== undefined) return;
  if (allowedBeforeAuthentication.has(name)) return;
  throw new CommandError('Unauthorized', `Command ${name} requires authentication`);
}

function payloadOf(command: BsonDocument): Buffer {
  const payload = command.payload;
  if (payload instanceof Binary) {
    return Buffer.from(payload.buffer.buffer, payload.buffer.byteOffset, payload.position);
  }
  // mongod also takes the payload as a base64 string.
  if (typeof payload === 'string') return Buffer.from(payload, 'base64');
  throw new CommandError('BadValue', 'saslStart and saslContinue need a payload');
}

/** The user as mongod names it: the database the client authenticates against, and the name. */
function credentialFor(context: ConnectionContext, database: string) {
  const credential = context.server.credential;
  return (username: string): ScramCredential | undefined =>
    credential && database === 'admin' && credential.username === username ? credential : undefined;
}

function saslStartReply(command: BsonDocument, context: ConnectionContext, database: string) {
  const mechanism = command.mechanism;
  if (mechanism !== scramSha256) {
    throw new CommandError(
      'MechanismUnavailable',
      `Received authentication for mechanism ${String(mechanism)} which is not enabled`,
    );
  }
  let started;
  try {
    started = startScramConversation(payloadOf(command), credentialFor(context, database));
  } catch (error) {
    if (error instanceof ScramError) throw authenticationFailed();
    throw error;
  }
  const options = command.options;
  context.session.conversation = {
    scram: started.conversation,
    // With skipEmptyExchange the server is done as soon as it has checked the proof; without
    // it the client sends one more, empty, message first (RFC 5802's optional last step).
    skipEmptyExchange: isDocument(options) && options.skipEmptyExchange === true,
    proofChecked: false,
  };
  return { conversationId, done: false, payload: new Binary(started.serverFirst) };
}

const saslStart: CommandHandler = (command, context) => {
  // Starting over drops any conversation in progress; a login already made stays.
  context.session.conversation = undefined;
  return { ...saslStartReply(command, context, context.database), ok: 1 };
};

const saslContinue: CommandHandler = (command, context) => {
  const pending = context.session.conversation;
  if (!pending) throw new CommandError('ProtocolError', 'No SASL session state found');
  if (command.conversationId !== undefined && Number(command.conversationId) !== conversationId) {
    throw new CommandError('ProtocolError', 'Mismatched conversation id');
  }
  if (pending.proofChecked) {
    context.session.conversation = undefined;
    return { conversationId, done: true, payload: new Binary(Buffer.alloc(0)), ok: 1 };
  }
  let serverFinal: Buffer;
  try {
    serverFinal = finishScramConversation(pending.scram, payloadOf(command));
  } catch (error) {
    context.session.conversation = undefined;
    if (error instanceof ScramError) throw authenticationFailed();
    throw error;
  }
  context.session.user = pending.scram.credential.username;
  pending.proofChecked = true;
  if (pending.skipEmptyExchange) context.session.conversation = undefined;
  return {
    conversationId,
    done: pending.skipEmptyExchange,
    payload: new Binary(serverFinal),
    ok: 1,
  };
};

/**
 * hello's saslSupportedMechs: "admin.<user>" asks which mechanisms that user has. An unknown
 * user gets no field at all, as on mongod.
 */
export function supportedMechanisms(
  command: BsonDocument,
  context: ConnectionContext,
): BsonDocument {
  const asked = command.saslSupportedMechs;
  const credential = context.server.credential;
  if (typeof asked !== 'string' || !credential) return {};
  return asked === `admin.${credential.username}` ? { saslSupportedMechs: [scramSha256] } : {};
}

/**
 * hello's speculativeAuthenticate: a saslStart carried in the handshake, answered in the
 * hello reply. A failure is not an error: the field is left out and the driver then runs the
 * ordinary conversation, which fails properly (mongod does the same).
 */
export function speculativeAuthentication(
  command: BsonDocument,
  context: ConnectionContext,
): BsonDocument {
  const request = command.speculativeAuthenticate;
  if (!isDocument(request) || context.server.credential === undefined) return {};
  const database = typeof request.db === 'string' ? request.db : '$external';
  try {
    context.session.conversation = undefined;
    return { speculativeAuthenticate: saslStartReply(request, context, database) };
  } catch {
    return {};
  }
}

/** connectionStatus reports the login, which drivers and shells show. */
export function authenticationInfo(context: ConnectionContext): BsonDocument {
  const user = context.session.user;
  return user === undefined
    ? { authenticatedUsers: [], authenticatedUserRoles: [] }
    : {
        authenticatedUsers: [{ user, db: 'admin' }],
        authenticatedUserRoles: [{ role: 'root', db: 'admin' }],
      };
}

export const authenticationCommands: Record<string, CommandHandler> = {
  saslStart,
  saslContinue,
};
