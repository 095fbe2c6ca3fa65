import { z } from 'zod';
import { nameProblem } from '../models/names';

// bcrypt only reads the first 72 bytes of a password: a longer one would be silently cut,
// so two passwords sharing those bytes would both unlock the account. Refuse instead.
export const BCRYPT_MAX_BYTES = 72;
const MIN_PASSWORD_CHARACTERS = 8;

export const nameSchema = z
  .string({ error: 'must be a string' })
  .trim()
  .superRefine((name, context) => {
    const problem = nameProblem(name);
    if (problem) context.addIssue({ code: 'custom', message: problem });
  });

export const emailSchema = z
  .string({ error: 'must be a string' })
  .trim()
  .toLowerCase()
  .pipe(z.email('must be a valid email address').max(254, 'must be at most 254 characters'));

export const passwordSchema = z
  .string({ error: 'must be a string' })
  .refine((password) => [...password].length >= MIN_PASSWORD_CHARACTERS, {
    message: `must be at least ${MIN_PASSWORD_CHARACTERS} characters`,
  })
  .refine(fitsBcrypt, {
    message: `must be at most ${BCRYPT_MAX_BYTES} bytes in UTF-8 (bcrypt ignores anything longer)`,
  });

/** bcrypt would compare only the first 72 bytes of a longer candidate. */
export function fitsBcrypt(password: string): boolean {
  return Buffer.byteLength(password, 'utf8') <= BCRYPT_MAX_BYTES;
}

export const registerSchema = z.object({
  name: nameSchema,
  email: emailSchema,
  password: passwordSchema,
});

// Login does not apply the registration rules to the password: an account created under
// older rules must still be able to log in, and a rule mismatch must not reveal anything.
export const loginSchema = z.object({
  email: emailSchema,
  password: z.string({ error: 'must be a string' }).min(1, 'must not be empty'),
});

export type RegisterInput = z.output<typeof registerSchema>;
export type LoginInput = z.output<typeof loginSchema>;

// Long enough for any token keycard issues, short enough that no one makes it hash megabytes.
const MAX_TOKEN_LENGTH = 256;

const accountTokenSchema = z
  .string({ error: 'must be a string' })
  .min(1, 'must not be empty')
  .max(MAX_TOKEN_LENGTH, `must be at most ${MAX_TOKEN_LENGTH} characters`);

export const forgotPasswordSchema = z.object({ email: emailSchema });

export const resetPasswordSchema = z.object({
  token: accountTokenSchema,
  newPassword: passwordSchema,
});

export const verifyEmailSchema = z.object({ token: accountTokenSchema });

export const emailChangeSchema = z.object({
  newEmail: emailSchema,
  // Checked against the stored hash, not against today's rules, as at login.
  password: z.string({ error: 'must be a string' }).min(1, 'must not be empty'),
});
