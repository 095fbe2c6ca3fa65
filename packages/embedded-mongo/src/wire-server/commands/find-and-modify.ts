import type { BsonDocument } from '../bson-values';
import { CommandError } from '../errors';
import { compileProjection } from '../projection';
import { parseUpdateSpec } from '../update/update-spec';
import {
  collectionArgument,
  optionalDocument,
  rejectCollation,
  type CommandHandler,
} from './command-context';
import { matchingDocuments } from './matching-documents';
import { runUpdate } from './write-commands';

const findAndModify: CommandHandler = (command, { server, database, evaluate }) => {
  const name =
    command.findAndModify !== undefined
      ? collectionArgument(command, 'findAndModify')
      : collectionArgument(command, 'findandmodify');
  rejectCollation(command);
  const query = optionalDocument(command, 'query') ?? {};
  const sort = optionalDocument(command, 'sort');
  const project = compileProjection(command.fields);
  const present = (document: BsonDocument | undefined) =>
    document === undefined ? null : project ? project(document) : document;
  const remove = command.remove === true;
  const hasUpdate = command.update !== undefined;
  if (remove === hasUpdate) {
    throw new CommandError('FailedToParse', 'Either an update or remove=true must be specified');
  }
  if (remove) {
    if (command.upsert === true || command.new === true) {
      throw new CommandError('FailedToParse', 'Cannot specify both upsert=true and remove=true');
    }
    const collection = server.store.get(database, name);
    const [target] = evaluate(() => matchingDocuments(collection, query, sort));
    if (target) collection?.remove(target);
    return { lastErrorObject: { n: target ? 1 : 0 }, value: present(target), ok: 1 };
  }
  const arrayFilters = command.arrayFilters;
  const outcome = runUpdate(
    { store: server.store, database, name },
    {
      filter: query,
      update: parseUpdateSpec(command.update),
      multi: false,
      upsert: command.upsert === true,
      arrayFilters: Array.isArray(arrayFilters) ? (arrayFilters as BsonDocument[]) : undefined,
      sort,
    },
    evaluate,
  );
  if (outcome.upsertedId !== undefined) {
    return {
      lastErrorObject: { n: 1, updatedExisting: false, upserted: outcome.upsertedId },
      value: command.new === true ? present(outcome.after) : null,
      ok: 1,
    };
  }
  const value = command.new === true ? outcome.after : outcome.before;
  return {
    lastErrorObject: { n: outcome.matched, updatedExisting: outcome.matched > 0 },
    value: present(value),
    ok: 1,
  };
};

export const findAndModifyCommands: Record<string, CommandHandler> = {
  findAndModify,
  findandmodify: findAndModify,
};
