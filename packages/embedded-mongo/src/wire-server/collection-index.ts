import { canonicalKey } from './bson-order';
import { isDocument, toNumber, type BsonDocument } from './bson-values';
import { duplicateKeyError } from './duplicate-key-error';
import { CommandError } from './errors';
import { splitFieldPath, valuesAtPath } from './field-path';
import { compileFilter } from './query/compile-filter';

/** An index as listIndexes reports it. */
export interface IndexSpec extends BsonDocument {
  v: number;
  key: BsonDocument;
  name: string;
}

const specOptionKeys = [
  'unique',
  'sparse',
  'partialFilterExpression',
  'expireAfterSeconds',
  'collation',
  'hidden',
  'weights',
  'default_language',
  'language_override',
  'textIndexVersion',
  '2dsphereIndexVersion',
  'bits',
  'min',
  'max',
  'wildcardProjection',
] as const;

/** Validates a createIndexes entry and returns the spec stored for it. */
export function normalizeIndexSpec(raw: unknown): IndexSpec {
  if (!isDocument(raw)) throw new CommandError('TypeMismatch', 'index spec must be an object');
  const key = raw.key;
  if (!isDocument(key) || Object.keys(key).length === 0) {
    throw new CommandError('CannotCreateIndex', 'Index keys cannot be empty.');
  }
  const name = raw.name;
  if (typeof name !== 'string' || name.length === 0) {
    throw new CommandError(
      'CannotCreateIndex',
      "Error in specification { key: ... } :: caused by :: The 'name' field is a required property of an index specification",
    );
  }
  for (const [field, direction] of Object.entries(key)) {
    const number = toNumber(direction);
    if (direction === 'hashed' || (number !== undefined && number !== 0)) continue;
    // Text, geo and wildcard indexes need query machinery this server does not have.
    throw new CommandError(
      'NotImplemented',
      `index type ${JSON.stringify(direction)} on field '${field}' is not supported by the keycard wire server`,
    );
  }
  const spec: IndexSpec = { v: 2, key, name };
  for (const option of specOptionKeys) {
    if (raw[option] !== undefined) spec[option] = raw[option];
  }
  if (spec.unique === false) delete spec.unique;
  if (spec.sparse === false) delete spec.sparse;
  if (spec.expireAfterSeconds !== undefined) {
    const seconds = toNumber(spec.expireAfterSeconds);
    if (seconds === undefined || seconds < 0 || Number.isNaN(seconds)) {
      throw new CommandError(
        'CannotCreateIndex',
        `TTL index 'expireAfterSeconds' option must be numeric and non-negative, but received: ${String(spec.expireAfterSeconds)}`,
      );
    }
  }
  if (spec.partialFilterExpression !== undefined) compileFilter(spec.partialFilterExpression);
  return spec;
}

interface IndexEntry {
  /** canonical key → the _id keys of the documents holding it */
  key: string;
  values: unknown[];
}

/**
 * A secondary index kept as a hash map from the canonical form of the indexed values to the
 * documents holding them: equality lookups and uniqueness checks cost the same at any size.
 */
export class CollectionIndex {
  readonly spec: IndexSpec;
  readonly fields: string[];
  readonly #paths: string[][];
  readonly #entries = new Map<string, Set<string>>();
  readonly #partial: ((document: BsonDocument) => boolean) | undefined;

  constructor(spec: IndexSpec) {
    this.spec = spec;
    this.fields = Object.keys(spec.key);
    this.#paths = this.fields.map(splitFieldPath);
    this.#partial =
      spec.partialFilterExpression === undefined
        ? undefined
        : compileFilter(spec.partialFilterExpression);
  }

  get unique(): boolean {
    return this.spec.unique === true;
  }

  get sparse(): boolean {
    return this.spec.sparse === true;
  }

  get partial(): boolean {
    return this.#partial !== undefined;
  }

  /** The keys a document contributes (several for an array field), or none when it is skipped. */
  /**
   * mongod refuses a document with arrays under two fields of one compound index: its keys
   * would be the cartesian product of the arrays, which can run to millions of entries.
   */
  validate(document: BsonDocument): void {
    if (this.#partial && !this.#partial(document)) return;
    const arrayPaths = this.#paths.filter((path) =>
      valuesAtPath(document, path).some((value) => Array.isArray(value)),
    );
    if (arrayPaths.length > 1) {
      const [first, second] = arrayPaths.map((path) => path.join('.'));
      throw new CommandError(
        'CannotIndexParallelArrays',
        `cannot index parallel arrays [${second}] [${first}]`,
      );
    }
  }

  entriesFor(document: BsonDocument): IndexEntry[] {
    if (this.#partial && !this.#partial(document)) return [];
    let present = false;
    const components = this.#paths.map((path) => {
      const found = valuesAtPath(document, path);
      if (found.length > 0) present = true;
      const flattened = found.flatMap((value) =>
        Array.isArray(value) ? (value.length === 0 ? [undefined] : (value as unknown[])) : [value],
      );
      return flattened.length === 0 ? [null] : flattened.map((value) => value ?? null);
    });
    if (this.sparse && !present) return [];
    let combinations: unknown[][] = [[]];
    for (const options of components) {
      combinations = combinations.flatMap((prefix) => options.map((value) => [...prefix, value]));
    }
    const seen = new Set<string>();
    const entries: IndexEntry[] = [];
    for (const values of combinations) {
      const key = this.keyOf(values);
      if (!seen.has(key)) {
        seen.add(key);
        entries.push({ key, values });
      }
    }
    return entries;
  }

  keyOf(values: unknown[]): string {
    return JSON.stringify(values.map(canonicalKey));
  }

  /** Throws mongod's E11000 error when a document would collide with another one. */
  checkUnique(namespace: string, document: BsonDocument, ownId: string): void {
    if (!this.unique) return;
    for (const entry of this.entriesFor(document)) {
      const holders = this.#entries.get(entry.key);
      if (!holders) continue;
      for (const holder of holders) {
        if (holder !== ownId) {
          const keyValue: BsonDocument = {};
          this.fields.forEach((field, index) => {
            keyValue[field] = entry.values[index];
          });
          throw duplicateKeyError(namespace, this.spec.name, this.spec.key, keyValue);
        }
      }
    }
  }

  add(document: BsonDocument, id: string): void {
    for (const entry of this.entriesFor(document)) {
      let holders = this.#entries.get(entry.key);
      if (!holders) {
        holders = new Set();
        this.#entries.set(entry.key, holders);
      }
      holders.add(id);
    }
  }

  remove(document: BsonDocument, id: string): void {
    for (const entry of this.entriesFor(document)) {
      const holders = this.#entries.get(entry.key);
      holders?.delete(id);
      if (holders?.size === 0) this.#entries.delete(entry.key);
    }
  }

  /** The _id keys of documents whose indexed fields equal `values` (in key pattern order). */
  lookup(values: unknown[]): Set<string> | undefined {
    return this.#entries.get(this.keyOf(values));
  }

  get ttlSeconds(): number | undefined {
    if (this.spec.expireAfterSeconds === undefined || this.fields.length !== 1) return undefined;
    return toNumber(this.spec.expireAfterSeconds);
  }
}
