import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { parseDuration } from './duration';
import { wholeNumberText } from './validation';
import { emailSchema, passwordSchema, nameSchema } from './auth/credential-schemas';

export interface AdminSeed {
  email: string;
  password: string;
  name: string;
}

export interface RateLimits {
  loginMaxFailures: number;
  loginMaxFailuresPerDay: number;
  loginMaxAttemptsPerIp: number;
  registerMaxPerHour: number;
  refreshMaxPerMinute: number;
}

export interface Config {
  nodeEnv: 'development' | 'test' | 'production';
  port: number;
  mongoUri: string | undefined;
  jwtSecret: string;
  /** True when no JWT_SECRET was given and one was generated for this process only. */
  jwtSecretGenerated: boolean;
  /** Retired secrets: tokens they signed still verify until they are removed. */
  jwtPreviousSecrets: readonly string[];
  jwtIssuer: string;
  jwtAudience: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  bcryptCost: number;
  corsOrigins: readonly string[];
  logLevel: string;
  admin: AdminSeed | undefined;
  rateLimits: Readonly<RateLimits>;
  /** Express's "trust proxy" setting; false unless TRUST_PROXY is set. */
  trustProxy: boolean | number | string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const MIN_SECRET_BYTES = 32;

// Values that appear in docs and examples: a server signing with one of them would accept
// tokens forged by anyone who read the same page. The words are long enough that a random
// secret from npm run gen-secret never contains one by chance.
const PLACEHOLDER_SECRET =
  /change[-_ ]?me|replace[-_ ]?me|your[-_ ]?(jwt[-_ ]?)?secret|placeholder|example|not[-_ ]?a[-_ ]?secret/i;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const optionalText = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

const integer = (fallback: number, min: number, max: number) =>
  optionalText.pipe(wholeNumberText(min, max).default(fallback));

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: integer(3000, 0, 65_535),
  MONGO_URI: optionalText.pipe(
    z
      .string()
      .regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb:// or mongodb+srv://')
      .optional(),
  ),
  JWT_SECRET: optionalText,
  JWT_PREVIOUS_SECRETS: optionalText,
  JWT_ISSUER: optionalText.pipe(z.string().default('keycard')),
  JWT_AUDIENCE: optionalText.pipe(z.string().default('keycard-api')),
  ACCESS_TOKEN_TTL: optionalText.pipe(z.string().default('15m')),
  REFRESH_TOKEN_TTL: optionalText.pipe(z.string().default('7d')),
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
});

type Env = z.infer<typeof envSchema>;

/** Every variable loadConfig reads (EMBEDDED_MONGO is read by db/embedded-mongo.ts). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(envSchema.shape);

/** Reads every variable at once and throws a ConfigError that lists every problem found. */
export function loadConfig(env: NodeJS.ProcessEnv): Readonly<Config> {
  // Field by field, so that one bad variable does not hide the problems of the others.
  const problems: string[] = [];
  const entries = Object.entries(envSchema.shape).map(([name, schema]) => {
    const result = schema.safeParse(env[name]);
    if (result.success) return [name, result.data];
    problems.push(...result.error.issues.map((issue) => `${name}: ${issue.message}`));
    return [name, envSchema.shape[name as keyof Env].safeParse(undefined).data];
  });
  const values = Object.fromEntries(entries) as Env;
  const production = values.NODE_ENV === 'production';

  const accessTokenTtlSeconds = parseDuration(values.ACCESS_TOKEN_TTL);
  if (accessTokenTtlSeconds === undefined) {
    problems.push('ACCESS_TOKEN_TTL: must look like 30s, 15m, 24h or 7d');
  }
  const refreshTokenTtlSeconds = parseDuration(values.REFRESH_TOKEN_TTL);
  if (refreshTokenTtlSeconds === undefined) {
    problems.push('REFRESH_TOKEN_TTL: must look like 30s, 15m, 24h or 7d');
  }
  if (production && !values.MONGO_URI) {
    problems.push(
      'MONGO_URI: required when NODE_ENV=production (the embedded database keeps data in memory only)',
    );
  }
  if (production && (values.BCRYPT_COST < 10 || values.BCRYPT_COST > 15)) {
    problems.push('BCRYPT_COST: must be between 10 and 15 when NODE_ENV=production');
  }
  problems.push(...checkSecret('JWT_SECRET', values.JWT_SECRET, production));
  const previousSecrets = (values.JWT_PREVIOUS_SECRETS ?? '')
    .split(',')
    .map((secret) => secret.trim())
    .filter((secret) => secret !== '');
  for (const secret of previousSecrets) {
    problems.push(...checkSecret('JWT_PREVIOUS_SECRETS', secret, false));
  }
  const corsOrigins = parseOrigins(values.CORS_ORIGINS, problems);
  const admin = parseAdminSeed(values, problems);

  if (problems.length > 0) throw new ConfigError(problems);

  return Object.freeze({
    nodeEnv: values.NODE_ENV,
    port: values.PORT,
    mongoUri: values.MONGO_URI,
    jwtSecret: values.JWT_SECRET ?? randomBytes(64).toString('base64url'),
    jwtSecretGenerated: values.JWT_SECRET === undefined,
    jwtPreviousSecrets: Object.freeze(previousSecrets),
    jwtIssuer: values.JWT_ISSUER,
    jwtAudience: values.JWT_AUDIENCE,
    accessTokenTtlSeconds: accessTokenTtlSeconds ?? 0,
    refreshTokenTtlSeconds: refreshTokenTtlSeconds ?? 0,
    bcryptCost: values.BCRYPT_COST,
    corsOrigins: Object.freeze(corsOrigins),
    logLevel: values.LOG_LEVEL,
    admin,
    rateLimits: Object.freeze({
      loginMaxFailures: values.LOGIN_MAX_FAILURES,
      loginMaxFailuresPerDay: values.LOGIN_MAX_FAILURES_PER_DAY,
      loginMaxAttemptsPerIp: values.LOGIN_MAX_ATTEMPTS_PER_IP,
      registerMaxPerHour: values.REGISTER_MAX_PER_HOUR,
      refreshMaxPerMinute: values.REFRESH_MAX_PER_MINUTE,
    }),
    trustProxy: parseTrustProxy(values.TRUST_PROXY),
  });
}

/** TRUST_PROXY: true/false, a hop count, or Express's list of trusted addresses and subnets. */
function parseTrustProxy(value: string | undefined): boolean | number | string {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}

function checkSecret(name: string, secret: string | undefined, production: boolean): string[] {
  if (secret === undefined) {
    return production
      ? [`${name}: required when NODE_ENV=production (generate one with npm run gen-secret)`]
      : [];
  }
  const problems: string[] = [];
  if (Buffer.byteLength(secret, 'utf8') < MIN_SECRET_BYTES) {
    problems.push(`${name}: must be at least ${MIN_SECRET_BYTES} bytes`);
  }
  if (PLACEHOLDER_SECRET.test(secret)) {
    problems.push(`${name}: looks like a placeholder; generate one with npm run gen-secret`);
  }
  return problems;
}

function parseOrigins(list: string | undefined, problems: string[]): string[] {
  if (list === undefined) return [];
  const origins: string[] = [];
  for (const entry of list.split(',').map((item) => item.trim())) {
    if (entry === '') continue;
    let origin: string | undefined;
    try {
      origin = new URL(entry).origin;
    } catch {
      origin = undefined;
    }
    // "null" is the origin of sandboxed frames and file:// pages: never something to allow.
    if (origin === undefined || origin === 'null' || origin !== entry.replace(/\/$/, '')) {
      problems.push(`CORS_ORIGINS: "${entry}" is not an origin like https://app.example.com`);
    } else {
      origins.push(origin);
    }
  }
  return origins;
}

function parseAdminSeed(values: Env, problems: string[]): AdminSeed | undefined {
  const { ADMIN_EMAIL: email, ADMIN_PASSWORD: password, ADMIN_NAME: name } = values;
  if (email === undefined && password === undefined) return undefined;
  if (email === undefined || password === undefined) {
    problems.push('ADMIN_EMAIL and ADMIN_PASSWORD: set both or neither');
    return undefined;
  }
  const seed = z
    .object({ email: emailSchema, password: passwordSchema, name: nameSchema })
    .safeParse({ email, password, name: name ?? 'Administrator' });
  if (!seed.success) {
    for (const issue of seed.error.issues) {
      problems.push(`ADMIN_${String(issue.path[0]).toUpperCase()}: ${issue.message}`);
    }
    return undefined;
  }
  return seed.data;
}
