import type { BsonDocument } from '../bson-values';
import { CommandError } from '../errors';
import { runPreemptibly, runWithCommandLimits } from '../limits/command-limits';
import { usesRegularExpression } from '../limits/regular-expressions';
import { authenticationCommands, requireAuthentication } from './authentication';
import { collectionCommands } from './collections';
import type { CommandContext, CommandHandler } from './command-context';
import { findAndModifyCommands } from './find-and-modify';
import { handshakeCommands } from './handshake';
import { indexCommands } from './indexes';
import { readCommands } from './read-commands';
import { writeCommands } from './write-commands';

const handlers = new Map<string, CommandHandler>(
  Object.entries({
    ...handshakeCommands,
    ...authenticationCommands,
    ...collectionCommands,
    ...indexCommands,
    ...readCommands,
    ...writeCommands,
    ...findAndModifyCommands,
  }),
);

const evaluateDirectly = <T>(work: () => T): T => work();

/** Runs one command to completion, synchronously, so it is atomic with respect to all others. */
export function runCommand(
  command: BsonDocument,
  connection: Omit<CommandContext, 'evaluate'>,
): BsonDocument {
  const [name] = Object.keys(command);
  if (name === undefined) throw new CommandError('FailedToParse', 'Empty command object');
  const handler = handlers.get(name);
  if (!handler) throw new CommandError('CommandNotFound', `no such command: '${name}'`);
  requireAuthentication(name, connection);
  // A standalone mongod refuses transactions (and retryable-write numbers) before running
  // anything, so a transaction can never leave a write behind.
  if (
    command.txnNumber !== undefined ||
    command.autocommit !== undefined ||
    command.startTransaction !== undefined
  ) {
    throw new CommandError(
      'IllegalOperation',
      'Transaction numbers are only allowed on a replica set member or mongos',
    );
  }
  const context: CommandContext = {
    ...connection,
    evaluate: usesRegularExpression(command) ? runPreemptibly : evaluateDirectly,
  };
  // With a data directory, the command's changes are in the journal before its reply is sent,
  // even when a limit stops the command part-way (the journal then holds what memory holds).
  return connection.server.store.journaled(command.writeConcern, () =>
    runWithCommandLimits(connection.server.limits, () => handler(command, context)),
  );
}
