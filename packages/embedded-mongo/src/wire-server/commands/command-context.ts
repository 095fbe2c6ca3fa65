import { Long } from 'bson';
import type { ScramConversation, ScramCredential } from '../auth/scram-sha-256';
import { isDocument, toNumber, type BsonDocument } from '../bson-values';
import type { CollectionStore } from '../collection-store';
import type { CursorStore } from '../cursor-store';
import { CommandError } from '../errors';
import type { CommandLimits } from '../limits/command-limits';

export interface ServerState {
  readonly store: CollectionStore;
  readonly cursors: CursorStore;
  readonly startedAt: number;
  /** The one user clients must log in as; undefined when the server is open to all. */
  readonly credential: ScramCredential | undefined;
  readonly limits: CommandLimits;
  ttlMonitorSleepSecs(): number;
  setTtlMonitorSleepSecs(seconds: number): void;
}

/** A SCRAM conversation between saslStart and its last saslContinue. */
export interface PendingConversation {
  readonly scram: ScramConversation;
  readonly skipEmptyExchange: boolean;
  proofChecked: boolean;
}

/** What the server knows about one client connection across its commands. */
export interface ConnectionSession {
  readonly id: number;
  /** The user this connection logged in as; undefined until it has. */
  user: string | undefined;
  conversation: PendingConversation | undefined;
}

export interface CommandContext {
  readonly server: ServerState;
  readonly database: string;
  readonly connectionId: number;
  readonly session: ConnectionSession;
  /**
   * Runs work that writes nothing (matching, pipelines, computing updated documents) within
   * the command's time limit. For a command carrying a regular expression that limit is
   * enforced even in the middle of a match; see limits/command-limits.ts.
   */
  evaluate<T>(work: () => T): T;
}

/** The context before the command is known: what a connection brings to each of its commands. */
export type ConnectionContext = Omit<CommandContext, 'evaluate'>;

export type CommandHandler = (command: BsonDocument, context: CommandContext) => BsonDocument;

/** The collection a command names in its first field, e.g. { find: 'users', ... }. */
export function collectionArgument(command: BsonDocument, name: string): string {
  const value = command[name];
  if (typeof value !== 'string') {
    throw new CommandError(
      'InvalidNamespace',
      `collection name has invalid type ${Array.isArray(value) ? 'array' : typeof value}`,
    );
  }
  if (value.length === 0) throw new CommandError('InvalidNamespace', 'Invalid namespace specified');
  return value;
}

export function optionalNumber(command: BsonDocument, field: string): number | undefined {
  const value = command[field];
  if (value === undefined || value === null) return undefined;
  const number = toNumber(value);
  if (number === undefined || typeof value === 'boolean') {
    throw new CommandError(
      'TypeMismatch',
      `BSON field '${field}' is the wrong type '${typeof value}', expected types '[long, int, decimal, double]'`,
    );
  }
  return number;
}

export function optionalDocument(command: BsonDocument, field: string): BsonDocument | undefined {
  const value = command[field];
  if (value === undefined || value === null) return undefined;
  if (!isDocument(value)) {
    throw new CommandError(
      'TypeMismatch',
      `BSON field '${field}' is the wrong type '${Array.isArray(value) ? 'array' : typeof value}', expected type 'object'`,
    );
  }
  return value;
}

export function documentList(command: BsonDocument, field: string): BsonDocument[] {
  const value = command[field];
  if (!Array.isArray(value) || !value.every(isDocument)) {
    throw new CommandError('TypeMismatch', `BSON field '${field}' must be an array of objects`);
  }
  return value;
}

export function toLong(value: unknown): Long {
  if (value instanceof Long) return value;
  if (typeof value === 'bigint') return Long.fromBigInt(value);
  const number = toNumber(value);
  if (number === undefined) throw new CommandError('TypeMismatch', 'cursor id must be a number');
  return Long.fromNumber(number);
}

export interface WriteError extends BsonDocument {
  index: number;
  code: number;
  errmsg: string;
}

export function writeErrorFrom(index: number, error: unknown): WriteError {
  if (error instanceof CommandError) {
    return { index, code: error.code, errmsg: error.message, ...error.extra };
  }
  return { index, code: 1, errmsg: error instanceof Error ? error.message : String(error) };
}

/**
 * Collations change how strings compare and which keys a unique index treats as equal; this
 * server compares binary only, so anything but the "simple" collation is refused, not ignored.
 */
export function rejectCollation(holder: BsonDocument): void {
  const collation = holder.collation;
  if (collation === undefined || collation === null) return;
  if (isDocument(collation) && collation.locale === 'simple') return;
  throw new CommandError(
    'NotImplemented',
    'collation is not supported by the keycard wire server (only { locale: "simple" })',
  );
}
