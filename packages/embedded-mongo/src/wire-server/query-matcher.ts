import { Context } from 'mingo';
import { evalExpr } from 'mingo/core';
import { Aggregator } from 'mingo/aggregator';
import { Lazy } from 'mingo/lazy';
import * as accumulatorOperators from 'mingo/operators/accumulator';
import * as expressionOperators from 'mingo/operators/expression';
import * as pipelineOperators from 'mingo/operators/pipeline';
import * as projectionOperators from 'mingo/operators/projection';
import * as queryOperators from 'mingo/operators/query';
import * as windowOperators from 'mingo/operators/window';
import { Query } from 'mingo/query';
import type { Options } from 'mingo/types';
import { MaxKey, MinKey } from 'bson';
import { bsonEquals, compareBson, typeRank } from './bson-order';
import {
  bsonTypeAlias,
  isDocument,
  promoteNumbers,
  resolveTypeAlias,
  toNumber,
  type BsonDocument,
} from './bson-values';
import { badValue, CommandError } from './errors';
import { queryValueAt } from './field-path';
import { sortDocuments } from './sort-documents';

// mingo compares values with JS semantics: a Long never equals the number 1, an Int32 wrapper is
// an opaque object, and its $gt/$lt/$sort order types differently from mongod. Those operators
// are replaced here by ones built on compareBson so queries follow mongod's BSON rules.

type Predicate = (document: BsonDocument) => boolean;

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

function equalityPredicate(selector: string, expected: unknown): Predicate {
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

const bsonQueryOperators = {
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
};

interface LazyIterator {
  collect(): unknown[];
}

function countStage(collection: LazyIterator, field: unknown) {
  if (
    typeof field !== 'string' ||
    field.length === 0 ||
    field.startsWith('$') ||
    field.includes('.')
  ) {
    throw new CommandError(
      'BadValue',
      'the count field must be a non-empty string that does not start with $ or contain .',
    );
  }
  const count = collection.collect().length;
  // mongod's $count emits nothing at all for an empty input.
  return Lazy(count === 0 ? [] : [{ [field]: count }]);
}

const bsonPipelineOperators = {
  // mingo's $sort uses its own cross-type order; mongod's BSON order is used instead.
  $sort: (collection: LazyIterator, spec: BsonDocument) => {
    const documents = collection.collect().filter(isDocument);
    return Lazy(sortDocuments(documents, spec));
  },
  $count: countStage,
};

function comparisonExpression(accept: (order: number) => number | boolean) {
  return (document: unknown, expression: unknown, options: Options) => {
    if (!Array.isArray(expression) || expression.length !== 2) {
      throw new CommandError('BadValue', 'comparison expressions take exactly 2 arguments');
    }
    const evaluated = evalExpr(document, expression, options);
    const [left, right] = Array.isArray(evaluated) ? evaluated : [];
    return accept(compareBson(left, right));
  };
}

/** Aggregation comparison expressions compare across types in BSON order, with no bracketing. */
const bsonExpressionOperators = {
  $cmp: comparisonExpression((order) => order),
  $eq: comparisonExpression((order) => order === 0),
  $ne: comparisonExpression((order) => order !== 0),
  $gt: comparisonExpression((order) => order > 0),
  $gte: comparisonExpression((order) => order >= 0),
  $lt: comparisonExpression((order) => order < 0),
  $lte: comparisonExpression((order) => order <= 0),
};

type ContextOperators = NonNullable<Parameters<typeof Context.init>[0]>;

// mingo's Context.from() keeps the first definition of an operator, so the full operator set is
// assembled here with ours last and the base Query/Aggregator classes get it directly.
const context = Context.init({
  accumulator: { ...accumulatorOperators } as ContextOperators['accumulator'],
  expression: {
    ...expressionOperators,
    ...bsonExpressionOperators,
  } as unknown as ContextOperators['expression'],
  projection: { ...projectionOperators } as ContextOperators['projection'],
  window: { ...windowOperators } as ContextOperators['window'],
  query: { ...queryOperators, ...bsonQueryOperators } as unknown as ContextOperators['query'],
  pipeline: {
    ...pipelineOperators,
    ...bsonPipelineOperators,
  } as unknown as ContextOperators['pipeline'],
});

export function mingoOptions(collectionResolver?: (name: string) => BsonDocument[]): Options {
  return {
    context,
    idKey: '_id',
    useStrictMode: true,
    scriptEnabled: false,
    failOnError: true,
    processingMode: 0,
    collectionResolver,
  };
}

/** Translates mingo's messages into the codes and wording mongod uses for the same mistakes. */
export function translateMingoError(error: unknown): CommandError {
  if (error instanceof CommandError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const unknownQueryOperator = /unknown query operator (\$\w+)/.exec(message);
  if (unknownQueryOperator) return badValue(`unknown operator: ${unknownQueryOperator[1]}`);
  const unknownTopLevel = /unknown top level operator: (\$\w+)/.exec(message);
  if (unknownTopLevel) {
    return badValue(
      `unknown top level operator: ${unknownTopLevel[1]}. If you have a field name that starts with a '$' symbol, consider using $getField or $setField.`,
    );
  }
  const unknownStage = /unregistered pipeline operator (\$\w+)/.exec(message);
  if (unknownStage) {
    return new CommandError(
      'Location40324',
      `Unrecognized pipeline stage name: '${unknownStage[1]}'`,
    );
  }
  const unknownExpression = /'(\$\w+)' is not registered/.exec(message);
  if (unknownExpression) {
    return new CommandError(
      'InvalidPipelineOperator',
      `Unrecognized expression '${unknownExpression[1]}'`,
    );
  }
  return badValue(message);
}

function usesExpressions(filter: unknown): boolean {
  if (Array.isArray(filter)) return filter.some(usesExpressions);
  if (!isDocument(filter)) return false;
  return Object.entries(filter).some(
    ([key, value]) => key === '$expr' || key === '$where' || usesExpressions(value),
  );
}

export function compileFilter(filter: unknown): Predicate {
  if (filter === undefined || filter === null) return () => true;
  if (!isDocument(filter)) throw new CommandError('TypeMismatch', 'filter must be an object');
  if (Object.keys(filter).length === 0) return () => true;
  try {
    const query = new Query(promoteNumbers(filter), mingoOptions());
    // $expr evaluates mingo expressions, which need plain JS numbers in the document too.
    if (usesExpressions(filter)) return (document) => query.test(promoteNumbers(document));
    return (document) => query.test(document);
  } catch (error) {
    throw translateMingoError(error);
  }
}

export function runPipeline(
  documents: BsonDocument[],
  pipeline: BsonDocument[],
  collectionResolver?: (name: string) => BsonDocument[],
): BsonDocument[] {
  try {
    const resolver =
      collectionResolver && ((name: string) => promoteNumbers(collectionResolver(name)));
    const aggregator = new Aggregator(promoteNumbers(pipeline), mingoOptions(resolver));
    return aggregator.run(promoteNumbers(documents)) as BsonDocument[];
  } catch (error) {
    throw translateMingoError(error);
  }
}
