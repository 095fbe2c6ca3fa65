import { evalExpr } from 'mingo/core';
import { Lazy } from 'mingo/lazy';
import type { Options } from 'mingo/types';
import { compareBson } from '../bson-order';
import { isDocument, type BsonDocument } from '../bson-values';
import { CommandError } from '../errors';
import { sortDocuments } from '../sort-documents';

// Where mingo's aggregation differs from mongod's: $sort, comparison expressions and $max/$min
// follow BSON order across types, $max/$min skip missing fields, and $count emits nothing for an
// empty input.

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

export const bsonPipelineOperators = {
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

/**
 * $max and $min as expressions: a list of arguments is compared as given; one argument that is
 * an array is compared element by element. null and missing values are skipped (mingo sorts a
 * missing value last, so `$max: [1, '$missing']` gave null), and nothing left gives null.
 */
/** What $max/$min compare: the arguments of a list, or the elements of one array argument. */
function extremumOperands(expression: unknown, evaluated: unknown): unknown[] {
  if (Array.isArray(expression) && expression.length !== 1) return evaluated as unknown[];
  // mongod reads a one-element list as its element.
  const operand = Array.isArray(expression) ? (evaluated as unknown[])[0] : evaluated;
  return Array.isArray(operand) ? operand : [operand];
}

function extremumExpression(keep: (order: number) => boolean) {
  return (document: unknown, expression: unknown, options: Options) => {
    let best: unknown = null;
    for (const value of extremumOperands(expression, evalExpr(document, expression, options))) {
      if (value === null || value === undefined) continue;
      if (best === null || keep(compareBson(value, best))) best = value;
    }
    return best;
  };
}

/** Aggregation comparison expressions compare across types in BSON order, with no bracketing. */
export const bsonExpressionOperators = {
  $cmp: comparisonExpression((order) => order),
  $eq: comparisonExpression((order) => order === 0),
  $ne: comparisonExpression((order) => order !== 0),
  $gt: comparisonExpression((order) => order > 0),
  $gte: comparisonExpression((order) => order >= 0),
  $lt: comparisonExpression((order) => order < 0),
  $lte: comparisonExpression((order) => order <= 0),
  $max: extremumExpression((order) => order > 0),
  $min: extremumExpression((order) => order < 0),
};
