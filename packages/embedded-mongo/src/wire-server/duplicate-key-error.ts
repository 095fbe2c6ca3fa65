import { Binary, Decimal128, Double, Int32, Long, ObjectId, Timestamp } from 'bson';
import { isDocument, type BsonDocument } from './bson-values';
import { CommandError } from './errors';

// mongod prints key values in its own relaxed-JSON dialect inside E11000 messages.
export function formatKeyValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (Number.isInteger(value) && Math.abs(value) <= 0x7fffffff) return String(value);
    return Number.isInteger(value) ? `${value}.0` : String(value);
  }
  if (typeof value === 'boolean') return String(value);
  if (value instanceof Int32) return String(value.value);
  if (value instanceof Double) {
    const number = value.value;
    return Number.isInteger(number) ? `${number}.0` : String(number);
  }
  if (value instanceof ObjectId) return `ObjectId('${value.toHexString()}')`;
  if (value instanceof Date) return `new Date(${value.getTime()})`;
  if (value instanceof Long) return value.toString();
  if (value instanceof Decimal128) return `NumberDecimal("${value.toString()}")`;
  if (value instanceof Timestamp) return `Timestamp(${value.t}, ${value.i})`;
  if (value instanceof Binary) {
    return `BinData(${value.sub_type}, ${Buffer.from(value.value()).toString('hex').toUpperCase()})`;
  }
  if (value instanceof RegExp) return `/${value.source}/${value.flags}`;
  if (Array.isArray(value)) {
    return value.length === 0 ? '[]' : `[ ${value.map(formatKeyValue).join(', ')} ]`;
  }
  if (isDocument(value)) return formatKeyDocument(value);
  return String(value);
}

function formatKeyDocument(document: BsonDocument): string {
  const entries = Object.entries(document).map(([key, item]) => `${key}: ${formatKeyValue(item)}`);
  return entries.length === 0 ? '{}' : `{ ${entries.join(', ')} }`;
}

export function duplicateKeyError(
  namespace: string,
  indexName: string,
  keyPattern: BsonDocument,
  keyValue: BsonDocument,
): CommandError {
  return new CommandError(
    'DuplicateKey',
    `E11000 duplicate key error collection: ${namespace} index: ${indexName} dup key: ${formatKeyDocument(keyValue)}`,
    { keyPattern, keyValue },
  );
}
