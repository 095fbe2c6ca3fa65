import { Binary, UUID } from 'bson';
import { isDocument, toNumber, type BsonDocument } from '../bson-values';
import type { IndexSpec } from '../collection-index';
import type { Collection, CollectionStore } from '../collection-store';
import type { StoreChange } from '../store-change';

/** A record the data directory cannot understand or apply: the files are damaged or foreign. */
export class DataFileError extends Error {}

/** The body of a journal or snapshot record: the change itself, plus its sequence number. */
export function changeRecord(change: StoreChange, lsn?: number): BsonDocument {
  return lsn === undefined ? { ...change } : { lsn, ...change };
}

function text(record: BsonDocument, field: string): string {
  const value = record[field];
  if (typeof value !== 'string') throw new DataFileError(`record field '${field}' is not a string`);
  return value;
}

function document(record: BsonDocument, field: string): BsonDocument {
  const value = record[field];
  if (!isDocument(value)) throw new DataFileError(`record field '${field}' is not a document`);
  return value;
}

function uuidOf(record: BsonDocument): UUID {
  const value = record.uuid;
  if (value instanceof Binary && value.sub_type === Binary.SUBTYPE_UUID) return value.toUUID();
  throw new DataFileError("record field 'uuid' is not a UUID");
}

/** The sequence number of a journal record; snapshot records have none. */
export function lsnOf(record: BsonDocument): number {
  const lsn = toNumber(record.lsn);
  if (lsn === undefined || !Number.isSafeInteger(lsn)) {
    throw new DataFileError("record field 'lsn' is not a whole number");
  }
  return lsn;
}

/** Reads a record body back into the change it describes; throws DataFileError when it is none. */
export function changeFromRecord(record: BsonDocument): StoreChange {
  const op = record.op;
  const db = text(record, 'db');
  switch (op) {
    case 'dropDatabase':
      return { op, db };
    case 'createCollection':
      return {
        op,
        db,
        collection: text(record, 'collection'),
        options: document(record, 'options'),
        uuid: uuidOf(record),
      };
    case 'dropCollection':
    case 'dropIndexes':
      return { op, db, collection: text(record, 'collection') };
    case 'insert':
    case 'update':
      return {
        op,
        db,
        collection: text(record, 'collection'),
        document: document(record, 'document'),
      };
    case 'delete':
      if (!('id' in record)) throw new DataFileError("record field 'id' is missing");
      return { op, db, collection: text(record, 'collection'), id: record.id };
    case 'createIndex':
      return {
        op,
        db,
        collection: text(record, 'collection'),
        spec: document(record, 'spec') as IndexSpec,
      };
    case 'dropIndex':
      return { op, db, collection: text(record, 'collection'), name: text(record, 'name') };
    default:
      throw new DataFileError(`unknown record op ${JSON.stringify(op)}`);
  }
}

function existing(store: CollectionStore, db: string, name: string): Collection {
  const collection = store.get(db, name);
  if (!collection) throw new DataFileError(`collection ${db}.${name} does not exist`);
  return collection;
}

function storedDocument(collection: Collection, id: unknown): BsonDocument {
  const stored = collection.getById(id);
  if (!stored) {
    throw new DataFileError(`no document with _id ${String(id)} in ${collection.namespace}`);
  }
  return stored;
}

/**
 * Makes one change again, through the same methods that made it, so a replayed store holds the
 * same documents, indexes and natural order as the one that wrote the journal.
 */
export function applyChange(store: CollectionStore, change: StoreChange): void {
  switch (change.op) {
    case 'createCollection':
      if (store.get(change.db, change.collection)) {
        throw new DataFileError(`collection ${change.db}.${change.collection} already exists`);
      }
      store.obtain(change.db, change.collection, change.options, change.uuid);
      return;
    case 'dropCollection':
      store.drop(change.db, change.collection);
      return;
    case 'dropDatabase':
      store.dropDatabase(change.db);
      return;
    case 'insert':
      existing(store, change.db, change.collection).insert(change.document);
      return;
    case 'update': {
      const collection = existing(store, change.db, change.collection);
      collection.replace(storedDocument(collection, change.document._id), change.document);
      return;
    }
    case 'delete': {
      const collection = existing(store, change.db, change.collection);
      collection.remove(storedDocument(collection, change.id));
      return;
    }
    case 'createIndex':
      existing(store, change.db, change.collection).addIndex(change.spec);
      return;
    case 'dropIndex':
      existing(store, change.db, change.collection).dropIndex(change.name);
      return;
    case 'dropIndexes':
      existing(store, change.db, change.collection).dropAllIndexes();
      return;
  }
}
