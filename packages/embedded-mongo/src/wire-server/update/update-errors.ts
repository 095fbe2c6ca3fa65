import { CommandError } from '../errors';

export function immutableIdError(): CommandError {
  return new CommandError(
    'ImmutableField',
    "Performing an update on the path '_id' would modify the immutable field '_id'",
  );
}

/** mongod's codes and wording for the errors mingo's updater raises. */
export function translateUpdateError(error: unknown): CommandError {
  if (error instanceof CommandError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (message.includes("immutable field '_id'")) return immutableIdError();
  const conflict = /updating the path '([^']+)' would create a conflict at '([^']+)'/i.exec(
    message,
  );
  if (conflict) {
    return new CommandError(
      'ConflictingUpdateOperators',
      `Updating the path '${conflict[1]}' would create a conflict at '${conflict[2]}'`,
    );
  }
  return new CommandError('BadValue', message);
}
