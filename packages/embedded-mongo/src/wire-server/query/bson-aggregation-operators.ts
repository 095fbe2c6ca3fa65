import { evalExpr } from 'mingo/core';
import { Lazy } from 'mingo/lazy';
import type { Options } from 'mingo/types';
import { compareBson } from '../bson-order';
import { isDocument, type BsonDocument } from '../bson-values';
import { CommandError } from '../errors';
import { sortDocuments } from '../sort-documents';

// Where mingo's aggregation differs from mongod's: $sort and comparison expressions follow BSON
// order across types, and $count emits nothing for an empty input.

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

/** Aggregation comparison expressions compare across types in BSON order, with no bracketing. */
export const bsonExpressionOperators = {
  $cmp: comparisonExpression((order) => order),
  $eq: comparisonExpression((order) => order === 0),
  $ne: comparisonExpression((order) => order !== 0),
  $gt: comparisonExpression((order) => order > 0),
  $gte: comparisonExpression((order) => order >= 0),
  $lt: comparisonExpression((order) => order < 0),
  $lte: comparisonExpression((order) => order <= 0),
};
