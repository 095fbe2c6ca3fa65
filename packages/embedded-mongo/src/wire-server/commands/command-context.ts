import { Long } from 'bson';
import { isDocument, toNumber, type BsonDocument } from '../bson-values';
import type { CollectionStore } from '../collection-store';
import type { CursorStore } from '../cursor-store';
import { CommandError } from '../errors';

export interface ServerState {
  readonly store: CollectionStore;
  readonly cursors: CursorStore;
  readonly startedAt: number;
  ttlMonitorSleepSecs(): number;
  setTtlMonitorSleepSecs(seconds: number): void;
}

export interface CommandContext {
  readonly server: ServerState;
  readonly database: string;
  readonly connectionId: number;
}

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
