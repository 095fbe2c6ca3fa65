import type { z } from 'zod';
import { ValidationError } from '../core/errors';

/** Parses untrusted input with a schema, or throws a 400 listing every bad field. */
export function parseInput<Schema extends z.ZodType>(
  schema: Schema,
  input: unknown,
): z.output<Schema> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ValidationError(
    result.error.issues.map((issue) => ({
      path: issue.path.map(String).join('.'),
      message:
        issue.path.length === 0 && issue.code === 'invalid_type'
          ? 'Request body must be a JSON object'
          : issue.message,
    })),
  );
}
