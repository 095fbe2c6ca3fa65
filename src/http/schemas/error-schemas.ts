import { z } from 'zod';
import { ERROR_CATALOGUE, type ErrorCode } from '../../core/errors';

const detailSchema = z.strictObject({
  path: z.string().meta({ description: 'The field, dotted; empty for the body as a whole' }),
  message: z.string(),
});

/**
 * The one error body, `{error, code, details?}`, narrowed to the codes an operation can answer
 * with one status: the code is an enum of exactly those, from the catalogue in core/errors.ts.
 */
export function errorBodySchema(codes: readonly [ErrorCode, ...ErrorCode[]]) {
  const first = ERROR_CATALOGUE[codes[0]];
  return z
    .strictObject({
      error: z.string().meta({ description: 'For people; may change' }),
      code: z.enum(codes).meta({ description: 'For programs; stable' }),
      // Only validation errors list the fields (see the error handler).
      ...(codes.includes('validation_error') ? { details: z.array(detailSchema).optional() } : {}),
    })
    .meta({ example: { error: first.message, code: codes[0] } });
}
