import {
  Binary,
  BSONRegExp,
  BSONSymbol,
  Code,
  Decimal128,
  Double,
  Int32,
  Long,
  MaxKey,
  MinKey,
  ObjectId,
  Timestamp,
  UUID,
} from 'bson';

export type BsonDocument = Record<string, unknown>;

/**
 * A document's own field. Plain indexing would also find inherited members, and a client
 * writing to "__proto__.x" would reach Object.prototype and so every object in the process.
 */
export function ownField(document: BsonDocument, key: string): unknown {
  return Object.hasOwn(document, key) ? document[key] : undefined;
}

/** Writes an own field; "__proto__" becomes an ordinary field, as it is in mongod. */
export function setOwnField(document: BsonDocument, key: string, value: unknown): void {
  Object.defineProperty(document, key, {
    value,
    writable: true,
    enumerable: true,
    configurable: true,
  });
}

/** The document with _id moved to the front, where mongod always keeps it. */
export function withIdFirst(document: BsonDocument): BsonDocument {
  if (Object.keys(document)[0] === '_id' || !('_id' in document)) return document;
  const { _id, ...rest } = document;
  return { _id, ...rest };
}

/** A plain embedded document (not an array, not a BSON value class such as ObjectId). */
export function isDocument(value: unknown): value is BsonDocument {
  if (value === null || typeof value !== 'object') return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

export function isNumeric(value: unknown): boolean {
  return (
    typeof value === 'number' ||
    value instanceof Long ||
    value instanceof Decimal128 ||
    value instanceof Double ||
    value instanceof Int32
  );
}

export function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (value instanceof Long) return value.toNumber();
  if (value instanceof Double || value instanceof Int32) return value.valueOf();
  if (value instanceof Decimal128) return Number(value.toString());
  if (typeof value === 'boolean') return value ? 1 : 0;
  return undefined;
}

/** The alias `$type` uses for a stored value (numbers are int or double as bson serializes them). */
export function bsonTypeAlias(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'number') {
    return Number.isInteger(value) && value <= 0x7fffffff && value >= -0x80000000
      ? 'int'
      : 'double';
  }
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'bigint' || value instanceof Long) return 'long';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Date) return 'date';
  if (value instanceof ObjectId) return 'objectId';
  if (value instanceof Binary || value instanceof UUID) return 'binData';
  if (value instanceof RegExp || value instanceof BSONRegExp) return 'regex';
  if (value instanceof Decimal128) return 'decimal';
  if (value instanceof Double) return 'double';
  if (value instanceof Int32) return 'int';
  if (value instanceof Timestamp) return 'timestamp';
  if (value instanceof MinKey) return 'minKey';
  if (value instanceof MaxKey) return 'maxKey';
  if (value instanceof Code) return 'javascript';
  if (value instanceof BSONSymbol) return 'symbol';
  return 'object';
}

const typeNumbers: Record<number, string> = {
  1: 'double',
  2: 'string',
  3: 'object',
  4: 'array',
  5: 'binData',
  6: 'undefined',
  7: 'objectId',
  8: 'bool',
  9: 'date',
  10: 'null',
  11: 'regex',
  13: 'javascript',
  14: 'symbol',
  16: 'int',
  17: 'timestamp',
  18: 'long',
  19: 'decimal',
  [-1]: 'minKey',
  127: 'maxKey',
};

/** Resolves a `$type` argument (alias or number) to a type alias, or undefined when unknown. */
export function resolveTypeAlias(spec: unknown): string | undefined {
  if (typeof spec === 'string') {
    return spec === 'number' || Object.values(typeNumbers).includes(spec) ? spec : undefined;
  }
  const number = toNumber(spec);
  return number === undefined ? undefined : typeNumbers[number];
}

/**
 * Deep-copies a document so a stored copy never shares mutable containers with a caller.
 * BSON value classes are immutable in practice and are kept by reference; Dates are copied.
 */
export function cloneValue<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item: unknown) => cloneValue(item)) as T;
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (isDocument(value)) {
    const copy: BsonDocument = {};
    for (const key of Object.keys(value)) setOwnField(copy, key, cloneValue(value[key]));
    return copy as T;
  }
  return value;
}

const maxSafeLong = Long.fromNumber(Number.MAX_SAFE_INTEGER);
const minSafeLong = Long.fromNumber(Number.MIN_SAFE_INTEGER);

/**
 * Stored documents keep bson's Int32/Double/Long wrappers so every numeric type round-trips.
 * mingo's arithmetic only understands JS numbers, so what it evaluates (filters, pipelines,
 * projections) gets this copy with the wrappers turned into numbers.
 */
export function promoteNumbers<T>(value: T): T {
  if (value instanceof Int32 || value instanceof Double) return value.valueOf() as T;
  if (value instanceof Long) {
    return (
      value.lessThanOrEqual(maxSafeLong) && value.greaterThanOrEqual(minSafeLong)
        ? value.toNumber()
        : value
    ) as T;
  }
  if (Array.isArray(value)) return value.map((item: unknown) => promoteNumbers(item)) as T;
  if (isDocument(value)) {
    const copy: BsonDocument = {};
    for (const key of Object.keys(value)) setOwnField(copy, key, promoteNumbers(value[key]));
    return copy as T;
  }
  return value;
}
