import { canonicalKey } from '../bson-order';
import { isDocument, type BsonDocument } from '../bson-values';
import { normalizeIndexSpec, type IndexSpec } from '../collection-index';
import { CommandError } from '../errors';
import { formatKeyValue } from '../duplicate-key-error';
import {
  collectionArgument,
  optionalDocument,
  optionalNumber,
  rejectCollation,
  type CommandHandler,
} from './command-context';

function optionsKey(spec: BsonDocument): string {
  const { v: _v, name: _name, key: _key, background: _background, ...options } = spec;
  return canonicalKey(options);
}

const createIndexes: CommandHandler = (command, { server, database }) => {
  const name = collectionArgument(command, 'createIndexes');
  const rawIndexes = command.indexes;
  if (!Array.isArray(rawIndexes) || rawIndexes.length === 0) {
    throw new CommandError('BadValue', 'Must specify at least one index to create');
  }
  const specs = rawIndexes.map(normalizeIndexSpec);
  for (const spec of specs) rejectCollation(spec);
  const createdCollectionAutomatically = server.store.get(database, name) === undefined;
  const collection = server.store.obtain(database, name);
  const before = collection.indexSpecs();
  const toCreate: IndexSpec[] = [];
  for (const spec of specs) {
    const existing = [...before, ...toCreate];
    const sameName = existing.find((index) => index.name === spec.name);
    const sameKey = existing.find((index) => canonicalKey(index.key) === canonicalKey(spec.key));
    if (sameName) {
      if (canonicalKey(sameName.key) !== canonicalKey(spec.key)) {
        throw new CommandError(
          'IndexKeySpecsConflict',
          `An existing index has the same name as the requested index. When index names are not specified, they are auto generated and can cause conflicts. Please refer to our documentation. Requested index: ${formatKeyValue(spec)}, existing index: ${formatKeyValue(sameName)}`,
        );
      }
      if (sameName.name !== '_id_' && optionsKey(sameName) !== optionsKey(spec)) {
        throw new CommandError(
          'IndexOptionsConflict',
          `An equivalent index already exists with the same name but different options. Requested index: ${formatKeyValue(spec)}, existing index: ${formatKeyValue(sameName)}`,
        );
      }
      continue;
    }
    if (sameKey && optionsKey(sameKey) === optionsKey(spec)) {
      throw new CommandError(
        'IndexOptionsConflict',
        `Index already exists with a different name: ${sameKey.name}`,
      );
    }
    toCreate.push(spec);
  }
  const created: string[] = [];
  try {
    for (const spec of toCreate) {
      collection.addIndex(spec);
      created.push(spec.name);
    }
  } catch (error) {
    // createIndexes is all or nothing.
    for (const indexName of created) collection.dropIndex(indexName);
    throw error;
  }
  const reply: BsonDocument = {
    numIndexesBefore: before.length,
    numIndexesAfter: before.length + created.length,
    createdCollectionAutomatically,
    ok: 1,
  };
  if (created.length === 0) reply.note = 'all indexes already exist';
  return reply;
};

const listIndexes: CommandHandler = (command, { server, database }) => {
  const name = collectionArgument(command, 'listIndexes');
  const collection = server.store.get(database, name);
  if (!collection)
    throw new CommandError('NamespaceNotFound', `ns does not exist: ${database}.${name}`);
  const cursor = optionalDocument(command, 'cursor');
  return server.cursors.open(collection.namespace, collection.indexSpecs(), {
    batchSize: cursor ? optionalNumber(cursor, 'batchSize') : undefined,
  });
};

const dropIndexes: CommandHandler = (command, { server, database }) => {
  const name = collectionArgument(command, 'dropIndexes');
  const collection = server.store.get(database, name);
  if (!collection) throw new CommandError('NamespaceNotFound', `ns not found ${database}.${name}`);
  const nIndexesWas = collection.indexSpecs().length;
  const target = command.index;
  if (target === '*') {
    collection.dropAllIndexes();
    return { nIndexesWas, msg: 'non-_id indexes dropped for collection', ok: 1 };
  }
  const names: string[] = [];
  if (typeof target === 'string') {
    names.push(target);
  } else if (Array.isArray(target) && target.every((item) => typeof item === 'string')) {
    names.push(...(target as string[]));
  } else if (isDocument(target)) {
    const match = collection
      .indexSpecs()
      .find((spec) => canonicalKey(spec.key) === canonicalKey(target));
    if (!match) {
      throw new CommandError(
        'IndexNotFound',
        `can't find index with key: ${formatKeyValue(target)}`,
      );
    }
    names.push(match.name);
  } else {
    throw new CommandError('TypeMismatch', "BSON field 'dropIndexes.index' is the wrong type");
  }
  for (const indexName of names) {
    if (indexName === '_id_') throw new CommandError('InvalidOptions', 'cannot drop _id index');
    if (!collection.findIndexByName(indexName)) {
      throw new CommandError('IndexNotFound', `index not found with name [${indexName}]`);
    }
  }
  for (const indexName of names) collection.dropIndex(indexName);
  return { nIndexesWas, ok: 1 };
};

export const indexCommands: Record<string, CommandHandler> = {
  createIndexes,
  listIndexes,
  dropIndexes,
};
