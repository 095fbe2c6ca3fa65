import { badValue, CommandError } from '../errors';

/** Translates mingo's messages into the codes and wording mongod uses for the same mistakes. */
export function translateMingoError(error: unknown): CommandError {
  if (error instanceof CommandError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const unknownQueryOperator = /unknown query operator (\$\w+)/.exec(message);
  if (unknownQueryOperator) return badValue(`unknown operator: ${unknownQueryOperator[1]}`);
  const unknownTopLevel = /unknown top level operator: (\$\w+)/.exec(message);
  if (unknownTopLevel) {
    return badValue(
      `unknown top level operator: ${unknownTopLevel[1]}. If you have a field name that starts with a '$' symbol, consider using $getField or $setField.`,
    );
  }
  const unknownStage = /unregistered pipeline operator (\$\w+)/.exec(message);
  if (unknownStage) {
    return new CommandError(
      'Location40324',
      `Unrecognized pipeline stage name: '${unknownStage[1]}'`,
    );
  }
  const unknownExpression = /'(\$\w+)' is not registered/.exec(message);
  if (unknownExpression) {
    return new CommandError(
      'InvalidPipelineOperator',
      `Unrecognized expression '${unknownExpression[1]}'`,
    );
  }
  return badValue(message);
}
