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
