import { z } from 'zod';
import { wholeNumberText } from '../core/whole-number';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const optionalText = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

const integer = (fallback: number, min: number, max: number) =>
  optionalText.pipe(wholeNumberText(min, max).default(fallback));

const text = (fallback: string) => optionalText.pipe(z.string().default(fallback));

/** Every environment variable keycard reads, and nothing else reads process.env. */
export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: integer(3000, 0, 65_535),
  MONGO_URI: optionalText.pipe(
    z
      .string()
      .regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb:// or mongodb+srv://')
      .optional(),
  ),
  EMBEDDED_MONGO: optionalText.pipe(
    z
      .enum(['auto', 'mongod', 'wire'], { error: 'must be one of auto, mongod, wire' })
      .default('auto'),
  ),
  // Its default depends on NODE_ENV, so load-config.ts gives it.
  EMBEDDED_MONGO_DBPATH: optionalText,
  JWT_SECRET: optionalText,
  JWT_PREVIOUS_SECRETS: optionalText,
  JWT_ISSUER: text('keycard'),
  JWT_AUDIENCE: text('keycard-api'),
  ACCESS_TOKEN_TTL: text('15m'),
  REFRESH_TOKEN_TTL: text('7d'),
  BCRYPT_COST: integer(12, 4, 31),
  CORS_ORIGINS: optionalText,
  LOG_LEVEL: optionalText.pipe(z.enum(LOG_LEVELS).default('info')),
  ADMIN_EMAIL: optionalText,
  ADMIN_PASSWORD: z.string().optional(),
  ADMIN_NAME: optionalText,
  LOGIN_MAX_FAILURES: integer(5, 1, 1000),
  LOGIN_MAX_FAILURES_PER_DAY: integer(100, 1, 100_000),
  LOGIN_MAX_ATTEMPTS_PER_IP: integer(100, 1, 1_000_000),
  REGISTER_MAX_PER_HOUR: integer(10, 1, 1_000_000),
  REFRESH_MAX_PER_MINUTE: integer(60, 1, 1_000_000),
  TRUST_PROXY: optionalText,
  SHUTDOWN_TIMEOUT: text('10s'),
  EVENT_LOOP_REPORT_INTERVAL: text('30s'),
  MONGO_CONNECT_TIMEOUT: text('30s'),
  AUTH_CACHE: optionalText.pipe(
    z.enum(['on', 'off'], { error: 'must be on or off' }).default('on'),
  ),
  AUTH_CACHE_MAX_STALENESS: text('1s'),
  WEB_CONCURRENCY: optionalText.pipe(
    z
      .union([z.literal('auto'), wholeNumberText(1, 256)], {
        error: 'must be a whole number from 1 to 256, or auto',
      })
      .default(1),
  ),
  PASSWORD_QUEUE_MAX_WAIT: text('2s'),
  // Unset: on outside production, off in production (see loadConfig).
  DEMO_PAGE: optionalText.pipe(
    z
      .enum(['true', 'false', 'on', 'off'], { error: 'must be one of on, off, true, false' })
      .optional(),
  ),
  REFRESH_COOKIE_SAMESITE: optionalText.pipe(
    z
      .enum(['strict', 'lax', 'none'], { error: 'must be one of strict, lax, none' })
      .default('strict'),
  ),
  SMTP_URL: optionalText.pipe(
    z
      .string()
      .regex(/^smtps?:\/\/[^/?#\s]+/, 'must look like smtp://user:pass@host:587 or smtps://…')
      .optional(),
  ),
  MAIL_FROM: text('keycard <no-reply@localhost>'),
  APP_URL: text('http://localhost:3000'),
  MAIL_MAX_AGE: text('24h'),
  PASSWORD_RESET_TTL: text('30m'),
  PASSWORD_RESET_MAX_PER_HOUR: integer(3, 1, 1_000_000),
  MAIL_MAX_PER_IP_PER_HOUR: integer(20, 1, 1_000_000),
  EMAIL_VERIFICATION_TTL: text('24h'),
  REQUIRE_EMAIL_VERIFICATION: optionalText.pipe(
    z
      .enum(['true', 'false'], { error: 'must be true or false' })
      .default('false')
      .transform((value) => value === 'true'),
  ),
});

export type Env = z.infer<typeof envSchema>;
export type EnvName = keyof Env;

/** Every variable the schema reads. */
export const CONFIG_VARIABLES = Object.keys(envSchema.shape) as EnvName[];

/**
 * Parses the named variables field by field, so that one bad variable does not hide the
 * problems of the others; a bad one takes its default and its problem is listed.
 */
export function parseEnv<Name extends EnvName>(
  env: NodeJS.ProcessEnv,
  names: readonly Name[],
): { values: Pick<Env, Name>; problems: string[] } {
  const problems: string[] = [];
  const entries = names.map((name) => {
    const schema: z.ZodType = envSchema.shape[name];
    const result = schema.safeParse(env[name]);
    if (result.success) return [name, result.data];
    problems.push(...result.error.issues.map((issue) => `${name}: ${issue.message}`));
    return [name, schema.safeParse(undefined).data];
  });
  return { values: Object.fromEntries(entries) as Pick<Env, Name>, problems };
}
