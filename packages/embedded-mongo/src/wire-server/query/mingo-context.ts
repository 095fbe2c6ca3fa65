import { Context } from 'mingo';
import * as accumulatorOperators from 'mingo/operators/accumulator';
import * as expressionOperators from 'mingo/operators/expression';
import * as pipelineOperators from 'mingo/operators/pipeline';
import * as projectionOperators from 'mingo/operators/projection';
import * as queryOperators from 'mingo/operators/query';
import * as windowOperators from 'mingo/operators/window';
import type { Options } from 'mingo/types';
import type { BsonDocument } from '../bson-values';
import { bsonExpressionOperators, bsonPipelineOperators } from './bson-aggregation-operators';
import { bsonQueryOperators } from './bson-query-operators';
import { checkpointEach, checkpointEachStage, limitedAccumulators } from './checkpointed-operators';
import { limitedExpressionOperators } from './limited-expressions';

type ContextOperators = NonNullable<Parameters<typeof Context.init>[0]>;

// mingo's Context.from() keeps the first definition of an operator, so the full operator set is
// assembled here with ours last and the base Query/Aggregator classes get it directly.
// Expressions, accumulators, window functions and stages all pass the command's checkpoints
// (limits/command-limits.ts); query operators do not, as they run once per document scanned.
const context = Context.init({
  accumulator: checkpointEach({
    ...accumulatorOperators,
    ...limitedAccumulators,
  }) as unknown as ContextOperators['accumulator'],
  expression: checkpointEach({
    ...expressionOperators,
    ...bsonExpressionOperators,
    ...limitedExpressionOperators,
  }) as unknown as ContextOperators['expression'],
  projection: { ...projectionOperators } as ContextOperators['projection'],
  window: checkpointEach({ ...windowOperators }) as unknown as ContextOperators['window'],
  query: { ...queryOperators, ...bsonQueryOperators } as unknown as ContextOperators['query'],
  pipeline: checkpointEachStage({
    ...pipelineOperators,
    ...bsonPipelineOperators,
  }) as unknown as ContextOperators['pipeline'],
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
