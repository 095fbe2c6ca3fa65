import { z } from 'zod';
import { loginSchema, nameSchema, passwordSchema, registerSchema } from '../../core/credentials';
import { wholeNumberText } from '../../core/whole-number';
import { ROLES } from '../../models/roles';

// The schemas every route parses its input with. The OpenAPI document is generated from these
// same objects (src/http/openapi/), so what is documented is what is validated. `.meta()`
// adds descriptions and examples only: it changes nothing that parse() accepts.

export const registerBody = registerSchema.meta({
  id: 'RegisterRequest',
  description:
    'name: 1–100 characters, trimmed. email: trimmed and lowercased, unique in any letter ' +
    'case. password: at least 8 characters and at most 72 bytes in UTF-8, never trimmed.',
  example: { name: 'Ada Lovelace', email: 'ada@example.com', password: 'analytical engine' },
});

export const loginBody = loginSchema.meta({
  id: 'LoginRequest',
  example: { email: 'ada@example.com', password: 'analytical engine' },
});

export const refreshBody = z
  .object({
    refreshToken: z.string({ error: 'must be a string' }).optional().meta({
      description: 'Leave out to use the refresh cookie instead',
      example: '665f1c2e8a1b2c3d4e5f6a7b.kV3n0o1YF5x2GZ8tq0Jc4k1n9d7bq2Wc3Pz6y8Xw1Aa',
    }),
  })
  .optional()
  .meta({ id: 'RefreshRequest' });

export const profileUpdateBody = z
  .object({ name: nameSchema.meta({ example: 'Ada King' }) })
  .meta({ id: 'ProfileUpdate', example: { name: 'Ada King' } });

export const passwordChangeBody = z
  .object({
    currentPassword: z.string({ error: 'must be a string' }).min(1, 'must not be empty'),
    newPassword: passwordSchema,
  })
  .meta({
    id: 'PasswordChange',
    example: { currentPassword: 'analytical engine', newPassword: 'difference engine no. 2' },
  });

const wholeNumber = (min: number, max: number, fallback: number) =>
  wholeNumberText(min, max).optional().default(fallback);

const roleSchema = z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` });

export const userListQuery = z.object({
  page: wholeNumber(1, 1_000_000, 1).meta({ description: 'At least 1', example: '1' }),
  limit: wholeNumber(1, 100, 20).meta({ description: '1–100', example: '20' }),
  role: roleSchema.optional(),
  q: z
    .string({ error: 'must be a single value' })
    .trim()
    .max(100)
    // The driver refuses a NUL in a string, and no name or email holds a control character.
    .regex(/^[^\p{Cc}]*$/u, 'must not contain control characters')
    .optional()
    .meta({
      description: 'Case-insensitive literal search of name and email',
      example: 'ada',
      // zod's own rendering keeps the regex flags in the pattern; JSON Schema has no flags.
      pattern: '^[^\\p{Cc}]*$',
    }),
});

export const roleUpdateBody = z
  .object({ role: roleSchema })
  .meta({ id: 'RoleUpdate', example: { role: 'admin' } });

/** Documents `:id`. A malformed id is answered like an unknown one (objectIdParam), not a 400. */
export const idParams = z.object({
  id: z.string().meta({ description: 'A 24-digit hex id', example: '665f1c2e8a1b2c3d4e5f6a7b' }),
});
