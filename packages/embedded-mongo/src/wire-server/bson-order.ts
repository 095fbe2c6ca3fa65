import {
  Binary,
  BSONRegExp,
  BSONSymbol,
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
import { isDocument, isNumeric } from './bson-values';

// MongoDB's canonical type order for comparisons and sorting
// (https://www.mongodb.com/docs/manual/reference/bson-type-comparison-order/).
const enum TypeRank {
  MinKey = 1,
  Null = 2,
  Number = 3,
  String = 4,
  Object = 5,
  Array = 6,
  BinData = 7,
  ObjectId = 8,
  Boolean = 9,
  Date = 10,
  Timestamp = 11,
  RegExp = 12,
  MaxKey = 13,
}

export function typeRank(value: unknown): number {
  if (value === null || value === undefined) return TypeRank.Null;
  if (isNumeric(value)) return TypeRank.Number;
  if (typeof value === 'string' || value instanceof BSONSymbol) return TypeRank.String;
  if (typeof value === 'boolean') return TypeRank.Boolean;
  if (Array.isArray(value)) return TypeRank.Array;
  if (value instanceof Date) return TypeRank.Date;
  if (value instanceof ObjectId) return TypeRank.ObjectId;
  if (value instanceof Binary || value instanceof UUID) return TypeRank.BinData;
  if (value instanceof Timestamp) return TypeRank.Timestamp;
  if (value instanceof RegExp || value instanceof BSONRegExp) return TypeRank.RegExp;
  if (value instanceof MinKey) return TypeRank.MinKey;
  if (value instanceof MaxKey) return TypeRank.MaxKey;
  if (typeof value === 'bigint') return TypeRank.Number;
  return TypeRank.Object;
}

function sign(difference: number): number {
  return difference < 0 ? -1 : difference > 0 ? 1 : 0;
}

function compareNumbers(left: unknown, right: unknown): number {
  // Longs outside the double-safe range compare exactly; everything else as doubles.
  if (left instanceof Long && right instanceof Long) return left.compare(right);
  const a = numericValue(left);
  const b = numericValue(right);
  if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : -1;
  if (Number.isNaN(b)) return 1;
  return sign(a - b) || (a === b ? 0 : a < b ? -1 : 1);
}

function numericValue(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Long) return value.toNumber();
  if (value instanceof Double || value instanceof Int32) return value.valueOf();
  if (value instanceof Decimal128) return Number(value.toString());
  return Number.NaN;
}

function compareStrings(left: string, right: string): number {
  return left < right ? -1 : left > right ? 1 : 0;
}

function compareBytes(left: Uint8Array, right: Uint8Array): number {
  const length = Math.min(left.length, right.length);
  for (let index = 0; index < length; index++) {
    const difference = (left[index] ?? 0) - (right[index] ?? 0);
    if (difference !== 0) return sign(difference);
  }
  return sign(left.length - right.length);
}

function regexParts(value: unknown): [string, string] {
  if (value instanceof RegExp) return [value.source, value.flags];
  if (value instanceof BSONRegExp) return [value.pattern, value.options];
  return ['', ''];
}

/** Compares two BSON values the way mongod orders them in sorts and range queries. */
export function compareBson(left: unknown, right: unknown): number {
  const leftRank = typeRank(left);
  const rightRank = typeRank(right);
  if (leftRank !== rightRank) return sign(leftRank - rightRank);
  switch (leftRank) {
    case TypeRank.Null:
    case TypeRank.MinKey:
    case TypeRank.MaxKey:
      return 0;
    case TypeRank.Number:
      return compareNumbers(left, right);
    case TypeRank.String:
      return compareStrings(String(left), String(right));
    case TypeRank.Boolean:
      return sign(Number(left) - Number(right));
    case TypeRank.Date:
      return sign((left as Date).getTime() - (right as Date).getTime());
    case TypeRank.ObjectId:
      return compareBytes((left as ObjectId).id, (right as ObjectId).id);
    case TypeRank.BinData: {
      const a = left as Binary;
      const b = right as Binary;
      return (
        sign(a.position - b.position) ||
        sign(a.sub_type - b.sub_type) ||
        compareBytes(a.value(), b.value())
      );
    }
    case TypeRank.Timestamp:
      return (left as Timestamp).compare(right as Timestamp);
    case TypeRank.RegExp: {
      const [leftSource, leftFlags] = regexParts(left);
      const [rightSource, rightFlags] = regexParts(right);
      return compareStrings(leftSource, rightSource) || compareStrings(leftFlags, rightFlags);
    }
    case TypeRank.Array:
      return compareArrays(left as unknown[], right as unknown[]);
    default:
      return compareObjects(left, right);
  }
}

function compareArrays(left: unknown[], right: unknown[]): number {
  const length = Math.min(left.length, right.length);
  for (let index = 0; index < length; index++) {
    const order = compareBson(left[index], right[index]);
    if (order !== 0) return order;
  }
  return sign(left.length - right.length);
}

function compareObjects(left: unknown, right: unknown): number {
  const a = isDocument(left) ? left : {};
  const b = isDocument(right) ? right : {};
  const leftKeys = Object.keys(a);
  const rightKeys = Object.keys(b);
  const length = Math.min(leftKeys.length, rightKeys.length);
  for (let index = 0; index < length; index++) {
    const leftKey = leftKeys[index] ?? '';
    const rightKey = rightKeys[index] ?? '';
    const leftValue = a[leftKey];
    const rightValue = b[rightKey];
    const order =
      sign(typeRank(leftValue) - typeRank(rightValue)) ||
      compareStrings(leftKey, rightKey) ||
      compareBson(leftValue, rightValue);
    if (order !== 0) return order;
  }
  return sign(leftKeys.length - rightKeys.length);
}

export function bsonEquals(left: unknown, right: unknown): boolean {
  if (left === right) return true;
  if (typeRank(left) !== typeRank(right)) return false;
  return compareBson(left, right) === 0;
}

/**
 * A string that is equal for two values exactly when mongod's index treats them as the same key
 * (1, 1.0, Long(1) and Decimal128("1") are one key; field order inside documents matters).
 * Used as the key of the hash maps behind _id and the other indexes.
 */
export function canonicalKey(value: unknown): string {
  switch (typeRank(value)) {
    case TypeRank.Null:
      return 'z';
    case TypeRank.MinKey:
      return 'm';
    case TypeRank.MaxKey:
      return 'M';
    case TypeRank.Number:
      return canonicalNumber(value);
    case TypeRank.String:
      // Quoted, so that a separator inside a string can never make two values share a key.
      return `s${JSON.stringify(String(value))}`;
    case TypeRank.Boolean:
      return value ? 'b1' : 'b0';
    case TypeRank.Date:
      return `d${(value as Date).getTime()}`;
    case TypeRank.ObjectId:
      return `o${(value as ObjectId).toHexString()}`;
    case TypeRank.BinData: {
      const binary = value as Binary;
      return `x${binary.sub_type}:${Buffer.from(binary.value()).toString('base64')}`;
    }
    case TypeRank.Timestamp:
      return `t${(value as Timestamp).toString()}`;
    case TypeRank.RegExp: {
      const [source, flags] = regexParts(value);
      return `r${JSON.stringify([source, flags])}`;
    }
    case TypeRank.Array:
      return `[${(value as unknown[]).map(canonicalKey).join(',')}]`;
    default: {
      const document = isDocument(value) ? value : {};
      const parts = Object.keys(document).map(
        (key) => `${JSON.stringify(key)}:${canonicalKey(document[key])}`,
      );
      return `{${parts.join(',')}}`;
    }
  }
}

function canonicalNumber(value: unknown): string {
  if (value instanceof Long) {
    return value.greaterThan(Long.fromNumber(Number.MAX_SAFE_INTEGER)) ||
      value.lessThan(Long.fromNumber(Number.MIN_SAFE_INTEGER))
      ? `n${value.toString()}`
      : `n${value.toNumber()}`;
  }
  const number = numericValue(value);
  if (Number.isNaN(number)) return 'nNaN';
  // -0 and 0 are the same key.
  return `n${number === 0 ? 0 : number}`;
}
