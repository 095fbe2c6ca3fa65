import { compareBson } from './bson-order';
import { isDocument, toNumber, type BsonDocument } from './bson-values';
import { CommandError } from './errors';
import { splitFieldPath, valuesAtPath } from './field-path';

function sortKey(document: BsonDocument, path: string[], direction: number): unknown {
  const values = valuesAtPath(document, path).flatMap((value) =>
    Array.isArray(value) ? (value.length === 0 ? [undefined] : (value as unknown[])) : [value],
  );
  if (values.length === 0) return null;
  // Ascending sorts use an array's smallest element, descending its largest (mongod semantics).
  let chosen = values[0];
  for (const value of values) {
    const order = compareBson(value, chosen);
    if (direction > 0 ? order < 0 : order > 0) chosen = value;
  }
  return chosen;
}

interface SortField {
  path: string[];
  direction: 1 | -1;
}

function parseSort(spec: unknown): SortField[] {
  if (spec === undefined || spec === null) return [];
  if (!isDocument(spec)) throw new CommandError('TypeMismatch', 'sort must be an object');
  return Object.entries(spec).map(([field, value]) => {
    const direction = toNumber(value);
    if (direction !== 1 && direction !== -1) {
      if (isDocument(value) && '$meta' in value) {
        throw new CommandError('BadValue', `$meta sort by ${String(value.$meta)} is not supported`);
      }
      throw new CommandError(
        'BadValue',
        `$sort key ordering must be 1 (for ascending) or -1 (for descending)`,
      );
    }
    return { path: splitFieldPath(field), direction };
  });
}

/** Stable sort in mongod's BSON order. */
export function sortDocuments(documents: BsonDocument[], spec: unknown): BsonDocument[] {
  const fields = parseSort(spec);
  if (fields.length === 0) return documents;
  const [first] = fields;
  // { $natural: 1 | -1 } is insertion order, forwards or backwards.
  if (fields.length === 1 && first && first.path.length === 1 && first.path[0] === '$natural') {
    return first.direction === 1 ? documents : [...documents].reverse();
  }
  const keyed = documents.map((document, position) => ({
    document,
    position,
    keys: fields.map((field) => sortKey(document, field.path, field.direction)),
  }));
  keyed.sort((left, right) => {
    for (let index = 0; index < fields.length; index++) {
      const order = compareBson(left.keys[index], right.keys[index]);
      if (order !== 0) return order * (fields[index]?.direction ?? 1);
    }
    return left.position - right.position;
  });
  return keyed.map((entry) => entry.document);
}
