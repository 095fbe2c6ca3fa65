import { z } from 'zod';
import { ValidationError } from './errors';

/**
 * A whole number written as decimal digits, as it arrives in query strings and environment
 * variables (text, and possibly repeated: `?page=1&page=2` is an array, not a number).
 */
export function wholeNumberText(min: number, max: number) {
  return z
    .string({ error: 'must be a single value' })
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
}

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
