import { resolve } from 'mingo/util';
import { isDocument, ownField, setOwnField, type BsonDocument } from './bson-values';
import { formatKeyValue } from './duplicate-key-error';
import { CommandError } from './errors';

// Dotted field paths ("a.b.0.c"): the one place that reads and writes documents by path. Every
// step goes through own properties, so "__proto__" and "constructor" are ordinary field names
// and a client can never reach Object.prototype through a path.

export function splitFieldPath(path: string): string[] {
  return path.split('.');
}

/** A path segment that addresses an array element ("0", "12"), as opposed to a field name. */
export function isArrayIndex(segment: string): boolean {
  return /^\d+$/.test(segment);
}

/** One step down: an array's element by index, a document's own field; undefined otherwise. */
function childAt(container: unknown, segment: string): unknown {
  if (Array.isArray(container)) {
    return isArrayIndex(segment) ? (container as unknown[])[Number(segment)] : undefined;
  }
  return isDocument(container) ? ownField(container, segment) : undefined;
}

/** The one value at a concrete path (array elements by index only), or undefined. */
export function valueAtPath(document: BsonDocument, path: string): unknown {
  let value: unknown = document;
  for (const segment of splitFieldPath(path)) value = childAt(value, segment);
  return value;
}

/**
 * Every value a path reaches, the way mongod's sort keys and index keys see them: a field name
 * applied to an array applies to each of its documents; an index picks the element if present.
 */
export function valuesAtPath(value: unknown, path: readonly string[]): unknown[] {
  if (path.length === 0) return [value];
  if (Array.isArray(value)) {
    const [head] = path;
    if (head !== undefined && isArrayIndex(head)) {
      const element: unknown = value[Number(head)];
      if (element !== undefined) return valuesAtPath(element, path.slice(1));
    }
    return value.flatMap((item: unknown) => (isDocument(item) ? valuesAtPath(item, path) : []));
  }
  if (!isDocument(value)) return [];
  const [head, ...rest] = path;
  if (head === undefined || !Object.hasOwn(value, head)) return [];
  return valuesAtPath(value[head], rest);
}

/**
 * What a query operator sees at `selector`: mingo's own reading of the path (arrays along it
 * unwrapped), so that the operators replaced here and mingo's own ($exists, $size…)
 * agree within one filter. mingo refuses "__proto__" in a selector.
 */
export function queryValueAt(document: BsonDocument, selector: string): unknown {
  return resolve(document, selector, { unwrapArray: true });
}

/** Every concrete path inside `value` at which `target` itself (the same object) is found. */
export function pathsHolding(value: unknown, target: unknown, prefix = ''): string[] {
  if (value === target) return [prefix];
  const below = (key: string) => (prefix ? `${prefix}.${key}` : key);
  if (Array.isArray(value)) {
    return value.flatMap((item: unknown, index) =>
      pathsHolding(item, target, below(String(index))),
    );
  }
  if (isDocument(value)) {
    return Object.entries(value).flatMap(([key, item]) => pathsHolding(item, target, below(key)));
  }
  return [];
}

function pathNotViable(segment: string, parentName: string, parent: unknown): CommandError {
  return new CommandError(
    'PathNotViable',
    `Cannot create field '${segment}' in element {${parentName}: ${formatKeyValue(parent)}}`,
  );
}

/**
 * mongod's $set of one concrete path: creates missing documents along the path and pads arrays
 * with nulls; a field name under an array, or any step under a scalar, is PathNotViable.
 */
export function setAtPath(document: BsonDocument, path: string, value: unknown): void {
  const segments = splitFieldPath(path);
  let target: unknown = document;
  for (const [position, segment] of segments.entries()) {
    const last = position === segments.length - 1;
    if (Array.isArray(target) && isArrayIndex(segment)) {
      const index = Number(segment);
      while (target.length < index) target.push(null);
      if (last) {
        target[index] = value;
        return;
      }
      if (target[index] === undefined || target[index] === null) target[index] = {};
      target = target[index];
    } else if (isDocument(target)) {
      if (last) {
        setOwnField(target, segment, value);
        return;
      }
      if (ownField(target, segment) === undefined) setOwnField(target, segment, {});
      target = ownField(target, segment);
    } else {
      throw pathNotViable(segment, segments[position - 1] ?? '', target);
    }
  }
}

/** mongod's $unset of one concrete path: removes the field; an array element becomes null. */
export function unsetAtPath(document: BsonDocument, path: string): void {
  const segments = splitFieldPath(path);
  const last = segments.pop() ?? '';
  let parent: unknown = document;
  for (const segment of segments) parent = childAt(parent, segment);
  if (Array.isArray(parent)) {
    if (isArrayIndex(last) && Number(last) < parent.length) parent[Number(last)] = null;
  } else if (isDocument(parent) && Object.hasOwn(parent, last)) {
    Reflect.deleteProperty(parent, last);
  }
}

/**
 * Writes `value` at `path` through documents only, replacing whatever else is in the way: how
 * the equality fields of an upsert's filter become the fields of the document it inserts.
 */
export function overwriteAtPath(document: BsonDocument, path: string, value: unknown): void {
  const segments = splitFieldPath(path);
  const last = segments.pop() ?? '';
  let target = document;
  for (const segment of segments) {
    const next = ownField(target, segment);
    if (isDocument(next)) {
      target = next;
    } else {
      const created: BsonDocument = {};
      setOwnField(target, segment, created);
      target = created;
    }
  }
  setOwnField(target, last, value);
}
