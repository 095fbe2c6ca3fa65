import { z } from 'zod';

/**
 * A whole number written as decimal digits, as it arrives in query strings, environment
 * variables and command lines (text, and possibly repeated: `?page=1&page=2` is an array).
 */
export function wholeNumberText(min: number, max: number) {
  return z
    .string({ error: 'must be a single value' })
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
}
