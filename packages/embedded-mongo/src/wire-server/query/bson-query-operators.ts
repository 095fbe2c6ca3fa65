import { Query } from 'mingo/query';
import type { Options } from 'mingo/types';
import { MaxKey, MinKey } from 'bson';
import { bsonEquals, compareBson, typeRank } from '../bson-order';
import {
  bsonTypeAlias,
  isDocument,
  resolveTypeAlias,
  toNumber,
  type BsonDocument,
} from '../bson-values';
import { badValue } from '../errors';
import { queryValueAt, splitFieldPath, valuesAtPath } from '../field-path';

// mingo compares values with JS semantics: a Long never equals the number 1, an Int32 wrapper is
// an opaque object, and its $gt/$lt/$sort order types differently from mongod. Those operators
// are replaced here by ones built on compareBson so queries follow mongod's BSON rules.

export type Predicate = (document: BsonDocument) => boolean;

function candidatesOf(selector: string, document: BsonDocument): unknown[] {
  const value = queryValueAt(document, selector);
  if (!Array.isArray(value)) return [value];
  // An array field matches when the array itself or any of its elements matches; a dotted path
  // through an array of documents yields nested arrays, whose elements count as well.
  const candidates: unknown[] = [value];
  for (const item of value) {
    candidates.push(item);
    if (Array.isArray(item) && selector.includes('.')) candidates.push(...(item as unknown[]));
  }
  return candidates;
}

function equalsAny(candidates: unknown[], expected: unknown): boolean {
  if (expected === null || expected === undefined) {
    return candidates.some((candidate) => candidate === null || candidate === undefined);
  }
  if (expected instanceof RegExp) {
    return candidates.some(
      (candidate) => typeof candidate === 'string' && expected.test(candidate),
    );
  }
  return candidates.some((candidate) => bsonEquals(candidate, expected));
}

export function equalityPredicate(selector: string, expected: unknown): Predicate {
  return (document) => equalsAny(candidatesOf(selector, document), expected);
}

function rangePredicate(
  selector: string,
  bound: unknown,
  accept: (order: number) => boolean,
): Predicate {
  const crossesTypes = bound instanceof MinKey || bound instanceof MaxKey;
  const boundRank = typeRank(bound);
  // { $lte: null } and { $gte: null } match null and missing, like { $eq: null }.
  if (bound === null && accept(0)) return equalityPredicate(selector, null);
  return (document) =>
    candidatesOf(selector, document).some(
      // Type bracketing: { $gt: 5 } only looks at numbers, { $lt: 'm' } only at strings.
      (candidate) =>
        candidate !== undefined &&
        (crossesTypes || typeRank(candidate) === boundRank) &&
        accept(compareBson(candidate, bound)),
    );
}

function inPredicate(selector: string, values: unknown, operator: string): Predicate {
  if (!Array.isArray(values)) throw badValue(`${operator} needs an array`);
  return (document) => {
    const candidates = candidatesOf(selector, document);
    return values.some((value) => equalsAny(candidates, value));
  };
}

function typePredicate(selector: string, spec: unknown): Predicate {
  const specs = Array.isArray(spec) ? spec : [spec];
  const aliases = specs.map((item) => {
    const alias = resolveTypeAlias(item);
    if (alias === undefined) throw badValue(`Unknown type name alias: ${String(item)}`);
    return alias;
  });
  const matches = (value: unknown) => {
    const alias = bsonTypeAlias(value);
    return aliases.some(
      (wanted) =>
        wanted === alias ||
        (wanted === 'number' && ['int', 'long', 'double', 'decimal'].includes(alias)),
    );
  };
  return (document) => {
    const value = queryValueAt(document, selector);
    if (value === undefined) return false;
    if (Array.isArray(value)) return matches(value) || value.some(matches);
    return matches(value);
  };
}

function modPredicate(selector: string, spec: unknown): Predicate {
  if (!Array.isArray(spec) || spec.length !== 2) {
    throw badValue('malformed mod, needs to be an array of two numbers');
  }
  const divisor = Math.trunc(toNumber(spec[0]) ?? Number.NaN);
  const remainder = Math.trunc(toNumber(spec[1]) ?? Number.NaN);
  if (Number.isNaN(divisor) || Number.isNaN(remainder))
    throw badValue('malformed mod, divisor and remainder must be numbers');
  if (divisor === 0) throw badValue('divisor cannot be 0');
  return (document) =>
    candidatesOf(selector, document).some((candidate) => {
      if (typeRank(candidate) !== typeRank(0)) return false;
      const number = toNumber(candidate);
      return (
        number !== undefined &&
        Number.isFinite(number) &&
        Math.trunc(number) % divisor === remainder
      );
    });
}

function allPredicate(selector: string, spec: unknown, options: Options): Predicate {
  if (!Array.isArray(spec)) throw badValue('$all needs an array');
  const checks = spec.map((item: unknown): Predicate => {
    if (isDocument(item) && '$elemMatch' in item) {
      const query = new Query({ [selector]: item }, options);
      return (document) => query.test(document);
    }
    return (document) => equalsAny(candidatesOf(selector, document), item);
  });
  return (document) => checks.length > 0 && checks.every((check) => check(document));
}

/** The operators whose operands are whole filters: a condition made of them is about fields. */
export const LOGICAL_OPERATORS = new Set(['$and', '$or', '$nor']);

/**
 * $elemMatch: criteria made of operators (`{ $gte: 80 }`) apply to every element, criteria about
 * fields (`{ sku: 'b' }`) only to the elements that are documents. mingo's tests strings and
 * numbers against fields too, and reads any field of a string as the string itself. (mongod
 * also tries an array element, by its indexes as field names: left out.)
 */
function elemMatchPredicate(selector: string, criteria: unknown, options: Options): Predicate {
  if (!isDocument(criteria)) throw badValue('$elemMatch needs an Object');
  const keys = Object.keys(criteria);
  const onValues =
    keys.length > 0 && keys.every((key) => key.startsWith('$') && !LOGICAL_OPERATORS.has(key));
  const query = new Query(onValues ? { value: criteria } : criteria, options);
  const matches = onValues
    ? (element: unknown) => query.test({ value: element })
    : (element: unknown) => isDocument(element) && query.test(element);
  // Every array the path reaches counts on its own: `items.tags` through an array of items
  // tests the elements of each item's tags, never the item's tags as one element.
  const path = splitFieldPath(selector);
  return (document) =>
    valuesAtPath(document, path).some((value) => Array.isArray(value) && value.some(matches));
}

export const bsonQueryOperators = {
  $eq: (selector: string, value: unknown) => equalityPredicate(selector, value),
  $ne: (selector: string, value: unknown) => {
    const equal = equalityPredicate(selector, value);
    return (document: BsonDocument) => !equal(document);
  },
  $gt: (selector: string, value: unknown) => rangePredicate(selector, value, (o) => o > 0),
  $gte: (selector: string, value: unknown) => rangePredicate(selector, value, (o) => o >= 0),
  $lt: (selector: string, value: unknown) => rangePredicate(selector, value, (o) => o < 0),
  $lte: (selector: string, value: unknown) => rangePredicate(selector, value, (o) => o <= 0),
  $in: (selector: string, value: unknown) => inPredicate(selector, value, '$in'),
  $nin: (selector: string, value: unknown) => {
    const included = inPredicate(selector, value, '$nin');
    return (document: BsonDocument) => !included(document);
  },
  $type: (selector: string, value: unknown) => typePredicate(selector, value),
  $mod: (selector: string, value: unknown) => modPredicate(selector, value),
  $all: (selector: string, value: unknown, options: Options) =>
    allPredicate(selector, value, options),
  $elemMatch: (selector: string, value: unknown, options: Options) =>
    elemMatchPredicate(selector, value, options),
};
