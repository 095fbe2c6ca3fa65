import {
  Binary,
  BSON,
  BSONRegExp,
  Decimal128,
  Double,
  Int32,
  Long,
  MaxKey,
  MinKey,
  ObjectId,
  Timestamp,
} from 'bson';
import { isDocument } from '../bson-values';
import { CommandError } from '../errors';

/** mongod's BSONObjMaxUserSize: the largest document a client may store. */
export const maxUserDocumentBytes = 16 * 1024 * 1024;
/** mongod's BSONObjMaxInternalSize: the largest document it parses or sends (16 MB + 16 KB). */
export const maxInternalDocumentBytes = maxUserDocumentBytes + 16 * 1024;

const int32Min = -(2 ** 31);
const int32Max = 2 ** 31 - 1;

/** A cstring or string's UTF-8 length; counted exactly, as the limit is in bytes. */
function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function binaryBytes(value: Binary): number {
  // Subtype 2 (the old binary) repeats the length inside the payload.
  return 4 + 1 + value.position + (value.sub_type === 2 ? 4 : 0);
}

/** The BSON size of a value that is not a container; BSON's own calculator for rare types. */
function leafBytes(value: unknown): number {
  if (value === null || value === undefined) return 0;
  switch (typeof value) {
    case 'boolean':
      return 1;
    case 'number':
      return Number.isInteger(value) &&
        value >= int32Min &&
        value <= int32Max &&
        !Object.is(value, -0)
        ? 4
        : 8;
    case 'bigint':
      return 8;
    case 'string':
      return 4 + utf8Bytes(value) + 1;
    case 'function':
    case 'symbol':
      return 0;
  }
  if (value instanceof Date || value instanceof Long || value instanceof Timestamp) return 8;
  if (value instanceof Double) return 8;
  if (value instanceof Int32) return 4;
  if (value instanceof ObjectId) return 12;
  if (value instanceof Decimal128) return 16;
  if (value instanceof MinKey || value instanceof MaxKey) return 0;
  if (value instanceof Binary) return binaryBytes(value);
  if (value instanceof RegExp) {
    // js-bson writes only i, m and g (as "s"); other flags are dropped.
    const flags = Number(value.ignoreCase) + Number(value.multiline) + Number(value.global);
    return utf8Bytes(value.source) + 1 + flags + 1;
  }
  if (value instanceof BSONRegExp) return utf8Bytes(value.pattern) + 1 + value.options.length + 1;
  // { v: value } costs 4 (length) + 1 (type) + 2 ("v\0") + 1 (terminator) around the value.
  return BSON.calculateObjectSize({ v: value }) - 8;
}

/**
 * The BSON size of `document` as BSON.serialize would write it, counted only until it passes
 * `limit`: then a number above the limit is returned at once. A document can hold the same
 * array a million times over (an aggregation can build one), so a full count could take
 * minutes; this one stops after `limit` bytes' worth of work.
 */
export function bsonSizeUpTo(document: object, limit: number): number {
  let size = 5; // length prefix and terminator of the outer document
  const pending: object[] = [document];
  // One element: type byte, key and its terminator, then the value (a container's own length
  // prefix and terminator now, its elements when it comes off the stack).
  const add = (keyBytes: number, value: unknown, inArray: boolean): boolean => {
    // BSON.serialize leaves out functions, and undefined fields (an undefined element is null).
    if (typeof value === 'function' || typeof value === 'symbol') return false;
    if (value === undefined && !inArray) return false;
    size += 1 + keyBytes + 1;
    if (Array.isArray(value) || isDocument(value)) {
      size += 5;
      pending.push(value);
    } else {
      size += leafBytes(value);
    }
    return size > limit;
  };
  for (let container = pending.pop(); container !== undefined; container = pending.pop()) {
    if (Array.isArray(container)) {
      for (let index = 0; index < container.length; index++) {
        if (add(String(index).length, container[index], true)) return size;
      }
    } else {
      const fields = container as Record<string, unknown>;
      for (const key of Object.keys(fields)) {
        if (add(utf8Bytes(key), fields[key], false)) return size;
      }
    }
  }
  return size;
}

/** mongod's answer to a document over its internal limit (BSONObjectTooLarge, 10334). */
export function objectTooLarge(size: number): CommandError {
  return new CommandError(
    'BSONObjectTooLarge',
    `BSONObj size: ${size} (0x${size.toString(16).toUpperCase()}) is invalid. Size must be between 0 and ${maxInternalDocumentBytes}(16MB)`,
  );
}

/** Throws BSONObjectTooLarge when `document` would not fit in a reply. */
export function checkReplyDocument(document: object): void {
  const size = bsonSizeUpTo(document, maxInternalDocumentBytes);
  if (size > maxInternalDocumentBytes) throw objectTooLarge(size);
}
