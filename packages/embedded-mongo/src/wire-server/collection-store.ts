import { UUID } from 'bson';
import { canonicalKey, compareBson } from './bson-order';
import { isDocument, type BsonDocument } from './bson-values';
import { CollectionIndex, type IndexSpec } from './collection-index';
import { duplicateKeyError } from './duplicate-key-error';
import { CommandError } from './errors';
import { splitFieldPath, valuesAtPath } from './field-path';
import type { StoreChange, StoreJournal } from './store-change';

export const idIndexSpec: IndexSpec = { v: 2, key: { _id: 1 }, name: '_id_' };

type ChangeListener = (change: StoreChange) => void;

const ignoreChange: ChangeListener = () => undefined;

/** One collection: documents in insertion order, keyed by the canonical form of their _id. */
export class Collection {
  readonly database: string;
  readonly name: string;
  readonly options: BsonDocument;
  readonly uuid: UUID;
  readonly #documents = new Map<string, BsonDocument>();
  /** Insertion number of each _id key: the natural order, which an update does not change. */
  readonly #insertionOrder = new Map<string, number>();
  #inserted = 0;
  readonly #indexes: CollectionIndex[] = [];
  /** Told of every change once it has been made in memory (the journal, on disk). */
  readonly #changed: ChangeListener;

  constructor(
    database: string,
    name: string,
    options: BsonDocument = {},
    settings: { uuid?: UUID; changed?: ChangeListener } = {},
  ) {
    this.database = database;
    this.name = name;
    this.options = options;
    this.uuid = settings.uuid ?? new UUID();
    this.#changed = settings.changed ?? ignoreChange;
  }

  get namespace(): string {
    return `${this.database}.${this.name}`;
  }

  get size(): number {
    return this.#documents.size;
  }

  get indexes(): readonly CollectionIndex[] {
    return this.#indexes;
  }

  indexSpecs(): IndexSpec[] {
    return [idIndexSpec, ...this.#indexes.map((index) => index.spec)];
  }

  all(): BsonDocument[] {
    return [...this.#documents.values()];
  }

  getById(id: unknown): BsonDocument | undefined {
    return this.#documents.get(canonicalKey(id));
  }

  /** Validates and stores a new document; the caller has already given it an _id. */
  insert(document: BsonDocument): void {
    const id = canonicalKey(document._id);
    if (this.#documents.has(id)) {
      throw duplicateKeyError(this.namespace, '_id_', { _id: 1 }, { _id: document._id });
    }
    for (const index of this.#indexes) index.validate(document);
    for (const index of this.#indexes) index.checkUnique(this.namespace, document, id);
    for (const index of this.#indexes) index.add(document, id);
    this.#documents.set(id, document);
    this.#insertionOrder.set(id, this.#inserted++);
    this.#changed({ op: 'insert', ...this.#where(), document });
  }

  #where(): { db: string; collection: string } {
    return { db: this.database, collection: this.name };
  }

  /** Swaps a stored document for its updated version (same _id), keeping every index in step. */
  replace(previous: BsonDocument, next: BsonDocument): void {
    const id = canonicalKey(previous._id);
    for (const index of this.#indexes) index.validate(next);
    for (const index of this.#indexes) index.checkUnique(this.namespace, next, id);
    for (const index of this.#indexes) {
      index.remove(previous, id);
      index.add(next, id);
    }
    this.#documents.set(id, next);
    this.#changed({ op: 'update', ...this.#where(), document: next });
  }

  remove(document: BsonDocument): void {
    const id = canonicalKey(document._id);
    for (const index of this.#indexes) index.remove(document, id);
    this.#documents.delete(id);
    this.#insertionOrder.delete(id);
    this.#changed({ op: 'delete', ...this.#where(), id: document._id });
  }

  findIndexByName(name: string): CollectionIndex | undefined {
    return this.#indexes.find((index) => index.spec.name === name);
  }

  /** Builds a new index over the existing documents; fails without side effects on duplicates. */
  addIndex(spec: IndexSpec): void {
    const index = new CollectionIndex(spec);
    for (const [id, document] of this.#documents) {
      index.validate(document);
      index.checkUnique(this.namespace, document, id);
      index.add(document, id);
    }
    this.#indexes.push(index);
    this.#changed({ op: 'createIndex', ...this.#where(), spec });
  }

  dropIndex(name: string): void {
    const position = this.#indexes.findIndex((index) => index.spec.name === name);
    if (position < 0) return;
    this.#indexes.splice(position, 1);
    this.#changed({ op: 'dropIndex', ...this.#where(), name });
  }

  dropAllIndexes(): void {
    this.#indexes.length = 0;
    this.#changed({ op: 'dropIndexes', ...this.#where() });
  }

  /**
   * The documents that can possibly match `filter`, found through the _id map or a hash index
   * when the filter pins the indexed fields to single values; undefined means "scan everything".
   */
  candidates(filter: unknown): BsonDocument[] | undefined {
    const equalities = collectEqualities(filter);
    if (equalities.size === 0) return undefined;
    const id = equalities.get('_id');
    if (id !== undefined) {
      if (id.kind === 'in') {
        // mongod answers an _id $in from the _id index, so in ascending _id order.
        return id.values
          .flatMap<BsonDocument>((value) => this.getById(value) ?? [])
          .sort((left, right) => compareBson(left._id, right._id));
      }
      const document = this.getById(id.values[0]);
      return document ? [document] : [];
    }
    for (const index of this.#indexes) {
      if (index.partial || index.fields.length === 0) continue;
      const values: unknown[] = [];
      for (const field of index.fields) {
        const equality = equalities.get(field);
        if (!equality || equality.kind !== 'eq') break;
        values.push(equality.values[0]);
      }
      if (values.length !== index.fields.length) continue;
      const ids = index.lookup(values);
      if (!ids) return [];
      const keys = ids.size > 1 ? this.#naturalOrder([...ids]) : [...ids];
      return keys.flatMap<BsonDocument>((key) => this.#documents.get(key) ?? []);
    }
    return undefined;
  }

  #naturalOrder(keys: string[]): string[] {
    const position = (key: string) => this.#insertionOrder.get(key) ?? 0;
    return keys.sort((left, right) => position(left) - position(right));
  }

  /** Deletes the documents a TTL index says have expired; returns how many went. */
  sweepExpired(now: number): number {
    let removed = 0;
    for (const index of this.#indexes) {
      const seconds = index.ttlSeconds;
      const field = index.fields[0];
      if (seconds === undefined || field === undefined) continue;
      const path = splitFieldPath(field);
      for (const document of this.all()) {
        const dates = valuesAtPath(document, path)
          .flatMap((value) => (Array.isArray(value) ? (value as unknown[]) : [value]))
          .filter((value): value is Date => value instanceof Date);
        if (dates.length === 0) continue;
        // Like mongod, an array of dates expires with its earliest date.
        const earliest = Math.min(...dates.map((date) => date.getTime()));
        if (earliest + seconds * 1000 <= now) {
          this.remove(document);
          removed++;
        }
      }
    }
    return removed;
  }
}

interface Equality {
  kind: 'eq' | 'in';
  values: unknown[];
}

/** A value a hash lookup can use: scalars and BSON values, not arrays, regexes or null. */
function isLookupValue(value: unknown): boolean {
  if (value === null || value === undefined || Array.isArray(value)) return false;
  if (value instanceof RegExp) return false;
  if (isDocument(value)) return !Object.keys(value).some((key) => key.startsWith('$'));
  return true;
}

/** Field → the single value (or $in list for _id) a filter requires, from top level and $and. */
function collectEqualities(
  filter: unknown,
  into = new Map<string, Equality>(),
): Map<string, Equality> {
  if (!isDocument(filter)) return into;
  for (const [field, condition] of Object.entries(filter)) {
    if (field === '$and' && Array.isArray(condition)) {
      for (const clause of condition) collectEqualities(clause, into);
      continue;
    }
    if (field.startsWith('$')) continue;
    if (isLookupValue(condition)) {
      into.set(field, { kind: 'eq', values: [condition] });
    } else if (isDocument(condition)) {
      if ('$eq' in condition && isLookupValue(condition.$eq)) {
        into.set(field, { kind: 'eq', values: [condition.$eq] });
      } else if (
        field === '_id' &&
        Array.isArray(condition.$in) &&
        condition.$in.every(isLookupValue)
      ) {
        into.set(field, { kind: 'in', values: uniqueValues(condition.$in as unknown[]) });
      }
    }
  }
  return into;
}

function uniqueValues(values: unknown[]): unknown[] {
  const seen = new Map<string, unknown>();
  for (const value of values) seen.set(canonicalKey(value), value);
  return [...seen.values()];
}

/** Every database and collection the server holds. */
export class CollectionStore {
  readonly #databases = new Map<string, Map<string, Collection>>();
  #journal: StoreJournal | undefined;
  /** Set once the journal has failed: from then on the store answers nothing (see journaled). */
  #journalFailure: CommandError | undefined;
  readonly #changed: ChangeListener = (change) => this.#journal?.append(change);

  /** From now on every change goes to `journal`; the changes made before (a replay) do not. */
  attachJournal(journal: StoreJournal): void {
    this.#journal = journal;
  }

  /**
   * Runs one command, then commits its changes to the journal before the caller can reply, so
   * nothing is acknowledged that a crash of the process could lose. When the journal cannot be
   * written, memory holds changes the disk does not: like mongod, which stops on a journal
   * failure, the store then refuses every further command until the server is restarted.
   */
  journaled<T>(writeConcern: unknown, run: () => T): T {
    if (this.#journalFailure) throw this.#journalFailure;
    try {
      return run();
    } finally {
      this.#commit(writeConcern);
    }
  }

  #commit(writeConcern: unknown): void {
    if (!this.#journal) return;
    try {
      this.#journal.commit(writeConcern);
    } catch (error) {
      // Not `instanceof Error`: Node's own errors fail it across realms (Jest's sandbox).
      const reason =
        typeof error === 'object' && error !== null && 'message' in error
          ? String(error.message)
          : String(error);
      this.#journalFailure = new CommandError(
        'InternalError',
        `the wire server could not write its journal (${reason}); it refuses every command ` +
          'until it is restarted, and a restart recovers every acknowledged write',
      );
      throw this.#journalFailure;
    }
  }

  get(database: string, name: string): Collection | undefined {
    return this.#databases.get(database)?.get(name);
  }

  /** Returns the collection, creating it (as a write does implicitly on mongod) when missing. */
  obtain(database: string, name: string, options: BsonDocument = {}, uuid?: UUID): Collection {
    validateNamespace(database, name);
    let collections = this.#databases.get(database);
    if (!collections) {
      collections = new Map();
      this.#databases.set(database, collections);
    }
    let collection = collections.get(name);
    if (!collection) {
      collection = new Collection(database, name, options, { uuid, changed: this.#changed });
      collections.set(name, collection);
      this.#changed({
        op: 'createCollection',
        db: database,
        collection: name,
        options,
        uuid: collection.uuid,
      });
    }
    return collection;
  }

  list(database: string): Collection[] {
    return [...(this.#databases.get(database)?.values() ?? [])];
  }

  databases(): string[] {
    return [...this.#databases.keys()];
  }

  drop(database: string, name: string): Collection | undefined {
    const collections = this.#databases.get(database);
    const collection = collections?.get(name);
    collections?.delete(name);
    if (collections?.size === 0) this.#databases.delete(database);
    if (collection) this.#changed({ op: 'dropCollection', db: database, collection: name });
    return collection;
  }

  dropDatabase(database: string): void {
    if (this.#databases.delete(database)) this.#changed({ op: 'dropDatabase', db: database });
  }

  everyCollection(): Collection[] {
    return [...this.#databases.values()].flatMap((collections) => [...collections.values()]);
  }
}

function validateNamespace(database: string, name: string): void {
  if (database.length === 0 || /[/\\. "$]/.test(database)) {
    throw new CommandError('InvalidNamespace', `Invalid database name: '${database}'`);
  }
  if (name.length === 0 || name.includes('$') || name.startsWith('.') || name.includes('\0')) {
    throw new CommandError('InvalidNamespace', `Invalid collection name: ${name}`);
  }
}
