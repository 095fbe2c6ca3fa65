import { Query } from 'mingo/query';
import {
  isDocument,
  promoteNumbers,
  toNumber,
  withIdFirst,
  type BsonDocument,
} from './bson-values';
import { CommandError } from './errors';
import { splitFieldPath } from './field-path';
import { mingoOptions } from './query/mingo-context';
import { translateMingoError } from './query/mingo-errors';

export type Projector = (document: BsonDocument) => BsonDocument;

interface PathTree {
  [field: string]: PathTree | true;
}

function addPath(tree: PathTree, path: string[]): void {
  const [head, ...rest] = path;
  if (head === undefined) return;
  if (rest.length === 0) {
    tree[head] = true;
    return;
  }
  const existing = tree[head];
  if (existing === true) return;
  const child = existing ?? {};
  tree[head] = child;
  addPath(child, rest);
}

function include(value: unknown, tree: PathTree): unknown {
  if (Array.isArray(value)) {
    return value
      .filter((item) => isDocument(item) || Array.isArray(item))
      .map((item) => include(item, tree));
  }
  if (!isDocument(value)) return undefined;
  const result: BsonDocument = {};
  for (const [field, item] of Object.entries(value)) {
    const rule = tree[field];
    if (rule === undefined) continue;
    if (rule === true) {
      result[field] = item;
    } else if (isDocument(item) || Array.isArray(item)) {
      result[field] = include(item, rule);
    }
  }
  return result;
}

function exclude(value: unknown, tree: PathTree): unknown {
  if (Array.isArray(value)) return value.map((item) => exclude(item, tree));
  if (!isDocument(value)) return value;
  const result: BsonDocument = {};
  for (const [field, item] of Object.entries(value)) {
    const rule = tree[field];
    if (rule === true) continue;
    result[field] = rule === undefined ? item : exclude(item, rule);
  }
  return result;
}

/** Compiles a find projection; plain inclusion/exclusion is done here, operators by mingo. */
export function compileProjection(projection: unknown): Projector | undefined {
  if (projection === undefined || projection === null) return undefined;
  if (!isDocument(projection))
    throw new CommandError('TypeMismatch', 'projection must be an object');
  const entries = Object.entries(projection);
  if (entries.length === 0) return undefined;
  const simple = entries.every(
    ([field, value]) =>
      !field.includes('$') && (typeof value === 'boolean' || toNumber(value) !== undefined),
  );
  if (!simple) return compileOperatorProjection(projection);

  const includes: PathTree = {};
  const excludes: PathTree = {};
  let includeId = true;
  let inclusionFields = 0;
  let exclusionFields = 0;
  for (const [field, value] of entries) {
    const on = typeof value === 'boolean' ? value : toNumber(value) !== 0;
    if (field === '_id') {
      includeId = on;
      continue;
    }
    if (on) {
      if (exclusionFields > 0) {
        throw new CommandError(
          'Location31253',
          `Cannot do inclusion on field ${field} in exclusion projection`,
        );
      }
      inclusionFields++;
      addPath(includes, splitFieldPath(field));
    } else {
      if (inclusionFields > 0) {
        throw new CommandError(
          'Location31254',
          `Cannot do exclusion on field ${field} in inclusion projection`,
        );
      }
      exclusionFields++;
      addPath(excludes, splitFieldPath(field));
    }
  }
  // { _id: 1 } on its own is an inclusion projection of just _id.
  const onlyIdIncluded = inclusionFields === 0 && exclusionFields === 0 && includeId;
  if (inclusionFields > 0 || onlyIdIncluded) {
    if (includeId) includes._id = true;
    return (document) => include(document, includes) as BsonDocument;
  }
  if (!includeId) excludes._id = true;
  return (document) => exclude(document, excludes) as BsonDocument;
}

function compileOperatorProjection(raw: BsonDocument): Projector {
  const projection = promoteNumbers(raw);
  try {
    const query = new Query({}, mingoOptions());
    // Validate eagerly so a bad projection fails the command rather than a later batch.
    query.find([{}], projection).all();
    return (document) => {
      const [projected] = query.find([document], projection).all();
      // mongod keeps _id first; mingo appends it.
      return isDocument(projected) ? withIdFirst(projected) : {};
    };
  } catch (error) {
    throw translateMingoError(error);
  }
}
