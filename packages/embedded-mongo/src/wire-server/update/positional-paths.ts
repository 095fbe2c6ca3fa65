import { update as applyOperators } from 'mingo/updater';
import { cloneValue, type BsonDocument } from '../bson-values';
import { CommandError } from '../errors';
import { pathsHolding } from '../field-path';
import { mingoOptions } from '../query/mingo-context';
import type { FieldUpdate } from './update-spec';

const marker = Symbol('update target');

/**
 * The concrete paths an update path designates, with `$`, `$[]` and `$[id]` resolved by mingo
 * (it sets a marker through the path on a copy; the marker's positions are the answer).
 */
export function concretePaths(
  document: BsonDocument,
  path: string,
  arrayFilters: BsonDocument[] | undefined,
  condition: BsonDocument | undefined,
): string[] {
  if (!path.includes('$')) return [path];
  const probe = cloneValue(document);
  applyOperators(probe, { $set: { [path]: marker } }, arrayFilters, condition, {
    cloneMode: 'none',
    queryOptions: mingoOptions(),
  });
  return pathsHolding(probe, marker);
}

const positionalSegment = /(^|\.)\$(\.|$)/;

/**
 * Each update through a positional `$` becomes one update per concrete path it designates. The
 * filter resolves `$`, once, against the document as it matched; an upsert's new document has
 * nothing the positional operator could match.
 */
export function resolvePositionalPaths(
  document: BsonDocument,
  updates: FieldUpdate[],
  options: {
    arrayFilters: BsonDocument[] | undefined;
    condition: BsonDocument | undefined;
    inserting: boolean;
  },
): FieldUpdate[] {
  const resolved: FieldUpdate[] = [];
  for (const update of updates) {
    if (!positionalSegment.test(update.path)) {
      resolved.push(update);
      continue;
    }
    let paths: string[] = [];
    try {
      if (!options.inserting) {
        paths = concretePaths(document, update.path, options.arrayFilters, options.condition);
      }
    } catch {
      // mingo refuses a `$` the filter does not pin; mongod reports that as the error below.
      paths = [];
    }
    if (paths.length === 0) {
      throw new CommandError(
        'BadValue',
        'The positional operator did not find the match needed from the query.',
      );
    }
    for (const path of paths) resolved.push({ ...update, path });
  }
  return resolved;
}
