import type { UUID } from 'bson';
import type { BsonDocument } from './bson-values';
import type { IndexSpec } from './collection-index';

/**
 * One change the store made, in the order it made them. The journal writes these as they are
 * (see persistence/), so a change carries the result, never the command: an update is the whole
 * new document, and replaying it needs no clock, no filter and no update operator.
 */
export type StoreChange =
  | { op: 'createCollection'; db: string; collection: string; options: BsonDocument; uuid: UUID }
  | { op: 'dropCollection'; db: string; collection: string }
  | { op: 'dropDatabase'; db: string }
  | { op: 'insert'; db: string; collection: string; document: BsonDocument }
  | { op: 'update'; db: string; collection: string; document: BsonDocument }
  | { op: 'delete'; db: string; collection: string; id: unknown }
  | { op: 'createIndex'; db: string; collection: string; spec: IndexSpec }
  | { op: 'dropIndex'; db: string; collection: string; name: string }
  | { op: 'dropIndexes'; db: string; collection: string };

/** Where the store sends its changes: the journal of a data directory. */
export interface StoreJournal {
  /** Takes one change; nothing need reach the operating system before commit(). */
  append(change: StoreChange): void;
  /**
   * Hands every appended change to the operating system, and to the disk itself when the write
   * concern asks for it. Throws when it cannot: the changes are then not durable.
   */
  commit(writeConcern: unknown): void;
}
