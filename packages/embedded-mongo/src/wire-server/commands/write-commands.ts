import { ObjectId } from 'bson';
import { isDocument, toNumber, withIdFirst, type BsonDocument } from '../bson-values';
import type { Collection, CollectionStore } from '../collection-store';
import { CommandError } from '../errors';
import { bsonSizeUpTo, maxUserDocumentBytes } from '../limits/document-size';
import { applyUpdate, sameDocument } from '../update/apply-update';
import { parseUpdateSpec, type UpdateSpec } from '../update/update-spec';
import { seedFromFilter } from '../update/upsert-seed';
import {
  collectionArgument,
  documentList,
  rejectCollation,
  writeErrorFrom,
  type CommandContext,
  type CommandHandler,
  type WriteError,
} from './command-context';
import { matchingDocuments } from './matching-documents';

/** Gives a document an _id when it has none and, like mongod, stores _id as the first field. */
export function withId(document: BsonDocument): BsonDocument {
  return document._id === undefined ? { _id: new ObjectId(), ...document } : withIdFirst(document);
}

function validateStoredDocument(document: BsonDocument): void {
  const size = bsonSizeUpTo(document, maxUserDocumentBytes);
  if (size > maxUserDocumentBytes) {
    throw new CommandError(
      'BadValue',
      `object to insert too large. size in bytes: ${size}, max size: ${maxUserDocumentBytes}`,
    );
  }
  if (Array.isArray(document._id)) {
    throw new CommandError('BadValue', `The '_id' value cannot be of type array`);
  }
  if (document._id instanceof RegExp) {
    throw new CommandError('BadValue', `can't use a regex for _id`);
  }
}

function finishWrite(reply: BsonDocument, writeErrors: WriteError[]): BsonDocument {
  if (writeErrors.length > 0) reply.writeErrors = writeErrors;
  reply.ok = 1;
  return reply;
}

const insert: CommandHandler = (command, { server, database }) => {
  const name = collectionArgument(command, 'insert');
  const documents = documentList(command, 'documents');
  const ordered = command.ordered !== false;
  const collection = server.store.obtain(database, name);
  const writeErrors: WriteError[] = [];
  let n = 0;
  for (const [index, raw] of documents.entries()) {
    try {
      const document = withId(raw);
      validateStoredDocument(document);
      collection.insert(document);
      n++;
    } catch (error) {
      writeErrors.push(writeErrorFrom(index, error));
      if (ordered) break;
    }
  }
  return finishWrite({ n }, writeErrors);
};

export interface UpdateOutcome {
  matched: number;
  modified: number;
  upsertedId?: unknown;
  /** The document before (first match) and after the change, for findAndModify. */
  before?: BsonDocument;
  after?: BsonDocument;
}

export interface CollectionRef {
  store: CollectionStore;
  database: string;
  name: string;
}

export interface UpdateStatement {
  filter: unknown;
  update: UpdateSpec;
  multi: boolean;
  upsert: boolean;
  arrayFilters?: BsonDocument[];
  sort?: unknown;
}

/** What an update statement will write, worked out before anything is written. */
interface UpdatePlan {
  changes: Array<{ target: BsonDocument; updated: BsonDocument }>;
  upsert?: BsonDocument;
  /** The error met computing the document after the last of `changes`, if any. */
  failure?: unknown;
}

/** mongod refuses an update whose result would pass the user document limit (17419). */
function checkUpdatedSize(document: BsonDocument): void {
  if (bsonSizeUpTo(document, maxUserDocumentBytes) > maxUserDocumentBytes) {
    throw new CommandError(
      'Location17419',
      `Resulting document after update is larger than ${maxUserDocumentBytes}`,
    );
  }
}

function planUpdate(collection: Collection | undefined, statement: UpdateStatement): UpdatePlan {
  const matches = matchingDocuments(collection, statement.filter, statement.sort);
  const targets = statement.multi ? matches : matches.slice(0, 1);
  const options = { filter: statement.filter, arrayFilters: statement.arrayFilters };
  if (targets.length === 0) {
    if (!statement.upsert) return { changes: [] };
    const seed = seedFromFilter(statement.filter);
    const document = withId(applyUpdate(seed, statement.update, { ...options, inserting: true }));
    validateStoredDocument(document);
    checkUpdatedSize(document);
    return { changes: [], upsert: document };
  }
  const changes: UpdatePlan['changes'] = [];
  for (const target of targets) {
    try {
      const updated = applyUpdate(target, statement.update, { ...options, inserting: false });
      checkUpdatedSize(updated);
      changes.push({ target, updated });
    } catch (failure) {
      return { changes, failure };
    }
  }
  return { changes };
}

/**
 * Applies one update statement; throws (leaving earlier documents updated, like mongod) on error.
 * Matching and computing the new documents come first, inside `evaluate` and writing nothing,
 * so a command stopped at its time limit leaves the collection as it was.
 */
export function runUpdate(
  namespace: CollectionRef,
  statement: UpdateStatement,
  evaluate: CommandContext['evaluate'],
): UpdateOutcome {
  const collection = namespace.store.get(namespace.database, namespace.name);
  const plan = evaluate(() => planUpdate(collection, statement));
  if (plan.upsert) {
    // Like mongod, only an upsert that inserts creates the collection.
    namespace.store.obtain(namespace.database, namespace.name).insert(plan.upsert);
    return { matched: 0, modified: 0, upsertedId: plan.upsert._id, after: plan.upsert };
  }
  const outcome: UpdateOutcome = { matched: 0, modified: 0 };
  for (const { target, updated } of plan.changes) {
    outcome.matched++;
    if (outcome.before === undefined) {
      outcome.before = target;
      outcome.after = updated;
    }
    if (!sameDocument(target, updated)) {
      collection?.replace(target, updated);
      outcome.modified++;
    }
  }
  if (plan.failure !== undefined) throw plan.failure;
  return outcome;
}

function arrayFiltersOf(statement: BsonDocument): BsonDocument[] | undefined {
  const value = statement.arrayFilters;
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every(isDocument)) {
    throw new CommandError('TypeMismatch', 'arrayFilters must be an array of objects');
  }
  return value;
}

const update: CommandHandler = (command, context: CommandContext) => {
  const name = collectionArgument(command, 'update');
  const statements = documentList(command, 'updates');
  const ordered = command.ordered !== false;
  const namespace = { store: context.server.store, database: context.database, name };
  const writeErrors: WriteError[] = [];
  const upserted: BsonDocument[] = [];
  let n = 0;
  let nModified = 0;
  for (const [index, statement] of statements.entries()) {
    try {
      rejectCollation(statement);
      const multi = statement.multi === true;
      const updateSpec = parseUpdateSpec(statement.u);
      if (
        multi &&
        !Array.isArray(updateSpec) &&
        !Object.keys(updateSpec).some((key) => key.startsWith('$')) &&
        Object.keys(updateSpec).length > 0
      ) {
        throw new CommandError(
          'FailedToParse',
          'multi update is not supported for replacement-style update',
        );
      }
      const outcome = runUpdate(
        namespace,
        {
          filter: statement.q ?? {},
          update: updateSpec,
          multi,
          upsert: statement.upsert === true,
          arrayFilters: arrayFiltersOf(statement),
        },
        context.evaluate,
      );
      if (outcome.upsertedId !== undefined) {
        upserted.push({ index, _id: outcome.upsertedId });
        n++;
      } else {
        n += outcome.matched;
        nModified += outcome.modified;
      }
    } catch (error) {
      writeErrors.push(writeErrorFrom(index, error));
      if (ordered) break;
    }
  }
  const reply: BsonDocument = { n, nModified };
  if (upserted.length > 0) reply.upserted = upserted;
  return finishWrite(reply, writeErrors);
};

const deleteCommand: CommandHandler = (command, { server, database, evaluate }) => {
  const name = collectionArgument(command, 'delete');
  const statements = documentList(command, 'deletes');
  const ordered = command.ordered !== false;
  const collection = server.store.get(database, name);
  const writeErrors: WriteError[] = [];
  let n = 0;
  for (const [index, statement] of statements.entries()) {
    try {
      rejectCollation(statement);
      const limit = toNumber(statement.limit) ?? 0;
      if (limit !== 0 && limit !== 1) {
        throw new CommandError(
          'FailedToParse',
          'The limit field in delete objects must be 0 or 1. Got ' + String(limit),
        );
      }
      const matches = evaluate(() => matchingDocuments(collection, statement.q ?? {}));
      const targets = limit === 1 ? matches.slice(0, 1) : matches;
      for (const target of targets) collection?.remove(target);
      n += targets.length;
    } catch (error) {
      writeErrors.push(writeErrorFrom(index, error));
      if (ordered) break;
    }
  }
  return finishWrite({ n }, writeErrors);
};

export const writeCommands: Record<string, CommandHandler> = {
  insert,
  update,
  delete: deleteCommand,
};
