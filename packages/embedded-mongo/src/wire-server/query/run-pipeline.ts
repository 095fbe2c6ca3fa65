import { Aggregator } from 'mingo/aggregator';
import { promoteNumbers, type BsonDocument } from '../bson-values';
import { mingoOptions } from './mingo-context';
import { translateMingoError } from './mingo-errors';

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
