import { canonicalKey } from '../bson-order';
import { isDocument, toNumber, type BsonDocument } from '../bson-values';
import { CommandError } from '../errors';
import { compileProjection } from '../projection';
import { splitFieldPath, valuesAtPath } from '../field-path';
import { runPipeline } from '../query/run-pipeline';
import {
  collectionArgument,
  optionalDocument,
  optionalNumber,
  rejectCollation,
  toLong,
  type CommandHandler,
} from './command-context';
import { bsonSizeUpTo, maxUserDocumentBytes } from '../limits/document-size';
import { matchingDocuments } from './matching-documents';

function nonNegative(command: BsonDocument, field: string): number | undefined {
  const value = optionalNumber(command, field);
  if (value !== undefined && value < 0) {
    throw new CommandError('BadValue', `${field} must be non-negative, but received: ${value}`);
  }
  return value;
}

const find: CommandHandler = (command, { server, database, evaluate }) => {
  const name = collectionArgument(command, 'find');
  rejectCollation(command);
  if (command.tailable === true) {
    throw new CommandError('BadValue', 'tailable cursor requested on non capped collection');
  }
  const filter = optionalDocument(command, 'filter');
  const project = compileProjection(command.projection);
  const skip = nonNegative(command, 'skip') ?? 0;
  let limit = optionalNumber(command, 'limit') ?? 0;
  let singleBatch = command.singleBatch === true;
  if (limit < 0) {
    // A negative limit is the legacy spelling of "limit, single batch".
    limit = -limit;
    singleBatch = true;
  }
  const batchSize = nonNegative(command, 'batchSize');
  const collection = server.store.get(database, name);
  let documents = evaluate(() => matchingDocuments(collection, filter, command.sort));
  if (skip > 0 || limit > 0)
    documents = documents.slice(skip, limit > 0 ? skip + limit : undefined);
  return server.cursors.open(`${database}.${name}`, documents, {
    batchSize: batchSize ?? (limit > 0 ? Math.min(limit, 101) : undefined),
    singleBatch,
    project,
  });
};

const getMore: CommandHandler = (command, { server, database }) => {
  const id = toLong(command.getMore);
  const collection = command.collection;
  if (typeof collection !== 'string') {
    throw new CommandError(
      'TypeMismatch',
      "BSON field 'getMore.collection' is missing or not a string",
    );
  }
  return server.cursors.getMore(
    id,
    `${database}.${collection}`,
    optionalNumber(command, 'batchSize'),
  );
};

const killCursors: CommandHandler = (command, { server }) => {
  const ids = command.cursors;
  if (!Array.isArray(ids))
    throw new CommandError('TypeMismatch', "BSON field 'killCursors.cursors' must be an array");
  const { killed, notFound } = server.cursors.kill(ids.map(toLong));
  return {
    cursorsKilled: killed,
    cursorsNotFound: notFound,
    cursorsAlive: [],
    cursorsUnknown: [],
    ok: 1,
  };
};

const count: CommandHandler = (command, { server, database, evaluate }) => {
  const name = collectionArgument(command, 'count');
  rejectCollation(command);
  const collection = server.store.get(database, name);
  const query = optionalDocument(command, 'query');
  const skip = nonNegative(command, 'skip') ?? 0;
  const limit = Math.abs(optionalNumber(command, 'limit') ?? 0);
  let n =
    query === undefined || Object.keys(query).length === 0
      ? (collection?.size ?? 0)
      : evaluate(() => matchingDocuments(collection, query).length);
  n = Math.max(0, n - skip);
  if (limit > 0) n = Math.min(n, limit);
  return { n, ok: 1 };
};

const distinct: CommandHandler = (command, { server, database, evaluate }) => {
  const name = collectionArgument(command, 'distinct');
  rejectCollation(command);
  const key = command.key;
  if (typeof key !== 'string')
    throw new CommandError('TypeMismatch', "BSON field 'distinct.key' is missing or not a string");
  const query = optionalDocument(command, 'query');
  const documents = evaluate(() => matchingDocuments(server.store.get(database, name), query));
  const seen = new Map<string, unknown>();
  for (const document of documents) {
    for (const value of valuesAtPath(document, splitFieldPath(key))) {
      const values = Array.isArray(value) ? (value as unknown[]) : [value];
      for (const item of values) {
        const canonical = canonicalKey(item);
        if (!seen.has(canonical)) seen.set(canonical, item);
      }
    }
  }
  const values = [...seen.values()];
  // mongod's own limit on the answer, which must fit in one reply document.
  if (bsonSizeUpTo({ values }, maxUserDocumentBytes) > maxUserDocumentBytes) {
    throw new CommandError('Location17217', 'distinct too big, 16mb cap');
  }
  return { values, ok: 1 };
};

const aggregate: CommandHandler = (command, { server, database, evaluate }) => {
  const target = command.aggregate;
  if (typeof target !== 'string') {
    throw new CommandError(
      'NotImplemented',
      'collection-less aggregate ({ aggregate: 1 }) is not supported by the keycard wire server',
    );
  }
  rejectCollation(command);
  const pipeline = command.pipeline;
  if (!Array.isArray(pipeline) || !pipeline.every(isDocument)) {
    throw new CommandError('TypeMismatch', "'pipeline' option must be specified as an array");
  }
  if (command.explain === true)
    throw new CommandError('NotImplemented', 'explain is not supported by the keycard wire server');
  const cursorOptions = optionalDocument(command, 'cursor');
  if (!cursorOptions) {
    throw new CommandError(
      'FailedToParse',
      "The 'cursor' option is required, except for aggregate with the explain argument",
    );
  }
  for (const stage of pipeline) {
    const [stageName] = Object.keys(stage);
    if (stageName === '$out' || stageName === '$merge') {
      throw new CommandError(
        'NotImplemented',
        `${stageName} is not supported by the keycard wire server`,
      );
    }
  }
  const collection = server.store.get(database, target);
  const resolver = (other: string) => server.store.get(database, other)?.all() ?? [];
  const results = evaluate(() => {
    // A leading $match uses the same index-backed path as find.
    const [first, ...rest] = pipeline;
    const leadingMatch = first !== undefined && isDocument(first.$match);
    const documents = leadingMatch
      ? matchingDocuments(collection, first?.$match)
      : (collection?.all() ?? []);
    const stages = leadingMatch ? rest : pipeline;
    return stages.length === 0 ? documents : runPipeline(documents, stages, resolver);
  });
  const batchSize = toNumber(cursorOptions.batchSize);
  return server.cursors.open(`${database}.${target}`, results, { batchSize });
};

export const readCommands: Record<string, CommandHandler> = {
  find,
  getMore,
  killCursors,
  count,
  distinct,
  aggregate,
};
