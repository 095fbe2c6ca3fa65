import { canonicalKey } from '../bson-order';
import type { BsonDocument } from '../bson-values';
import { idIndexSpec, type Collection } from '../collection-store';
import { CommandError } from '../errors';
import { compileFilter } from '../query/compile-filter';
import {
  collectionArgument,
  optionalDocument,
  optionalNumber,
  rejectCollation,
  type CommandHandler,
} from './command-context';

/** Fields every command may carry that are not options of the command itself. */
const genericFields = new Set([
  '$db',
  'lsid',
  'txnNumber',
  'autocommit',
  'startTransaction',
  '$readPreference',
  '$clusterTime',
  'writeConcern',
  'readConcern',
  'comment',
  'maxTimeMS',
  'apiVersion',
  'apiStrict',
  'apiDeprecationErrors',
]);

function commandOptions(command: BsonDocument, name: string): BsonDocument {
  const options: BsonDocument = {};
  for (const [key, value] of Object.entries(command)) {
    if (key !== name && !genericFields.has(key)) options[key] = value;
  }
  return options;
}

function describe(collection: Collection, nameOnly: boolean): BsonDocument {
  if (nameOnly) return { name: collection.name, type: 'collection' };
  return {
    name: collection.name,
    type: 'collection',
    options: collection.options,
    info: { readOnly: false, uuid: collection.uuid },
    idIndex: idIndexSpec,
  };
}

const listCollections: CommandHandler = (command, { server, database }) => {
  const filter = compileFilter(optionalDocument(command, 'filter'));
  const nameOnly = command.nameOnly === true;
  const entries = server.store
    .list(database)
    .map((collection) => describe(collection, false))
    .filter(filter)
    .map((entry) => (nameOnly ? { name: entry.name, type: entry.type } : entry));
  const cursor = optionalDocument(command, 'cursor');
  return server.cursors.open(`${database}.$cmd.listCollections`, entries, {
    batchSize: cursor ? optionalNumber(cursor, 'batchSize') : undefined,
  });
};

const create: CommandHandler = (command, { server, database }) => {
  const name = collectionArgument(command, 'create');
  const options = commandOptions(command, 'create');
  const existing = server.store.get(database, name);
  if (existing) {
    // Since MongoDB 7.0, creating a collection that exists with identical options succeeds.
    if (canonicalKey(existing.options) === canonicalKey(options)) return { ok: 1 };
    throw new CommandError(
      'NamespaceExists',
      `Collection ${database}.${name} already exists with different options`,
    );
  }
  rejectCollation(options);
  if (options.viewOn !== undefined || options.timeseries !== undefined || options.capped === true) {
    throw new CommandError(
      'NotImplemented',
      'views, time-series and capped collections are not supported by the keycard wire server',
    );
  }
  server.store.obtain(database, name, options);
  return { ok: 1 };
};

const drop: CommandHandler = (command, { server, database }) => {
  const name = collectionArgument(command, 'drop');
  const dropped = server.store.drop(database, name);
  if (!dropped) return { ok: 1 };
  return { nIndexesWas: dropped.indexes.length + 1, ns: dropped.namespace, ok: 1 };
};

const dropDatabase: CommandHandler = (_command, { server, database }) => {
  server.store.dropDatabase(database);
  return { ok: 1 };
};

export const collectionCommands: Record<string, CommandHandler> = {
  listCollections,
  create,
  drop,
  dropDatabase,
};
