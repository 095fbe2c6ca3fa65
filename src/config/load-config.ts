import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { emailSchema, nameSchema, passwordSchema } from '../core/credentials';
import type { AccountTokenLifetimes } from '../core/account-tokens';
import type { AdminSeed } from '../core/ensure-admin';
import type { LoginLimits } from '../core/login-throttle';
import type { LimitSetting } from '../core/rate-limiter';
import { parseDuration, parseMilliseconds } from './duration';
import { CONFIG_VARIABLES, parseEnv, type Env } from './env-schema';
import { checkSecret } from './secrets';

export { CONFIG_VARIABLES };

export type EmbeddedMongoMode = Env['EMBEDDED_MONGO'];

/** Every limit beside its window, so that neither is hard-coded away from the other. */
export interface RateLimits {
  loginPerIp: LimitSetting;
  registerPerIp: LimitSetting;
  refreshPerIp: LimitSetting;
  login: LoginLimits;
  /** Requests that send a mail (forgot, resend, email change), per client address. */
  mailPerIp: LimitSetting;
  /** The same requests per email address (forgot) or per account (resend, email change). */
  mailPerAccount: LimitSetting;
}

/** Where mail goes and what its links point to. */
export interface MailSettings {
  /** Unset outside production: mails are written to the log instead of being sent. */
  smtpUrl: string | undefined;
  from: string;
  /** The public address of the frontend, without a trailing slash. */
  appUrl: string;
  /** A mail not delivered by this age is marked failed and no longer retried. */
  maxAgeSeconds: number;
}

export interface Config {
  nodeEnv: 'development' | 'test' | 'production';
  port: number;
  mongoUri: string | undefined;
  /** Which embedded database to start when there is no MONGO_URI. */
  embeddedMongo: EmbeddedMongoMode;
  /** The absolute directory the embedded database keeps its data in; undefined: in memory. */
  embeddedMongoDbPath: string | undefined;
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
  /** Express's "trust proxy" setting: false, a hop count, or trusted addresses and subnets. */
  trustProxy: false | number | string;
  /** How long a shutdown waits for requests in flight before it closes everything anyway. */
  shutdownTimeoutSeconds: number;
  /** How often a log line reports the event loop's delay (p99, max) since the last one. */
  eventLoopReportSeconds: number;
  /** A password check that would wait longer than this for a worker is refused with 503. */
  passwordQueueMaxWaitSeconds: number;
  /** How long start-up waits for MongoDB to answer before it gives up. */
  mongoConnectTimeoutSeconds: number;
  /** What authenticate keeps per instance, and how stale another instance's change may be. */
  authCache: { enabled: boolean; maxStalenessMs: number };
  /** How many worker processes serve requests (node:cluster); 1 means this process alone. */
  webConcurrency: number;
  /** bcrypt threads in this process's pool. */
  hasherThreads: number;
  /** Whether GET /demo serves the browser demo. */
  demoPage: boolean;
  /** SameSite of the refresh and device cookies; `none` always comes with Secure. */
  refreshCookieSameSite: Env['REFRESH_COOKIE_SAMESITE'];
  mail: Readonly<MailSettings>;
  accountTokenLifetimes: Readonly<AccountTokenLifetimes>;
  /** A correct password for an unconfirmed address gets 403 email_not_verified, no tokens. */
  requireEmailVerification: boolean;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const MINUTE = 60;
const HOUR = 3600;
const DAY = 86_400;

/** Reads every variable at once and throws a ConfigError that lists every problem found. */
// Long as a list of variables read one after another; splitting it would scatter them.
export function loadConfig(env: NodeJS.ProcessEnv): Readonly<Config> {
  const { values, problems } = parseEnv(env, CONFIG_VARIABLES);
  const production = values.NODE_ENV === 'production';

  const durationOf = (
    name:
      | 'ACCESS_TOKEN_TTL'
      | 'REFRESH_TOKEN_TTL'
      | 'SHUTDOWN_TIMEOUT'
      | 'EVENT_LOOP_REPORT_INTERVAL'
      | 'PASSWORD_QUEUE_MAX_WAIT'
      | 'MONGO_CONNECT_TIMEOUT'
      | 'MAIL_MAX_AGE'
      | 'PASSWORD_RESET_TTL'
      | 'EMAIL_VERIFICATION_TTL',
  ) => {
    const seconds = parseDuration(values[name]);
    if (seconds === undefined) problems.push(`${name}: must look like 30s, 15m, 24h or 7d`);
    return seconds ?? 0;
  };
  const accessTokenTtlSeconds = durationOf('ACCESS_TOKEN_TTL');
  const refreshTokenTtlSeconds = durationOf('REFRESH_TOKEN_TTL');
  const shutdownTimeoutSeconds = durationOf('SHUTDOWN_TIMEOUT');
  const eventLoopReportSeconds = durationOf('EVENT_LOOP_REPORT_INTERVAL');
  const passwordQueueMaxWaitSeconds = durationOf('PASSWORD_QUEUE_MAX_WAIT');
  const mongoConnectTimeoutSeconds = durationOf('MONGO_CONNECT_TIMEOUT');
  const cores = availableParallelism();
  const webConcurrency = values.WEB_CONCURRENCY === 'auto' ? cores : values.WEB_CONCURRENCY;
  const authCacheMaxStalenessMs = parseMilliseconds(values.AUTH_CACHE_MAX_STALENESS);
  if (authCacheMaxStalenessMs === undefined || authCacheMaxStalenessMs < 100) {
    problems.push('AUTH_CACHE_MAX_STALENESS: must look like 250ms, 1s or 1m, and be 100ms or more');
  }
  const mail = {
    smtpUrl: values.SMTP_URL,
    from: parseMailFrom(values.MAIL_FROM, problems),
    appUrl: parseAppUrl(values.APP_URL, problems),
    maxAgeSeconds: durationOf('MAIL_MAX_AGE'),
  };
  const accountTokenLifetimes = {
    passwordResetSeconds: durationOf('PASSWORD_RESET_TTL'),
    emailVerificationSeconds: durationOf('EMAIL_VERIFICATION_TTL'),
  };
  if (production && !values.MONGO_URI) {
    problems.push(
      'MONGO_URI: required when NODE_ENV=production (the embedded database is for development and tests)',
    );
  }
  if (production && !values.SMTP_URL) {
    problems.push(
      'SMTP_URL: required when NODE_ENV=production (without it mails are only written to the log)',
    );
  }
  if (production && (values.BCRYPT_COST < 10 || values.BCRYPT_COST > 15)) {
    problems.push('BCRYPT_COST: must be between 10 and 15 when NODE_ENV=production');
  }
  problems.push(...checkSecret('JWT_SECRET', values.JWT_SECRET, production));
  const previousSecrets = splitList(values.JWT_PREVIOUS_SECRETS);
  for (const secret of previousSecrets) {
    problems.push(...checkSecret('JWT_PREVIOUS_SECRETS', secret, false));
  }
  const corsOrigins = parseOrigins(values.CORS_ORIGINS, problems);
  const admin = parseAdminSeed(values, problems);
  const trustProxy = parseTrustProxy(values.TRUST_PROXY, problems);

  if (problems.length > 0) throw new ConfigError(problems);

  return Object.freeze({
    nodeEnv: values.NODE_ENV,
    port: values.PORT,
    mongoUri: values.MONGO_URI,
    embeddedMongo: values.EMBEDDED_MONGO,
    embeddedMongoDbPath: embeddedMongoDbPath(values.EMBEDDED_MONGO_DBPATH, values.NODE_ENV),
    jwtSecret: values.JWT_SECRET ?? randomBytes(64).toString('base64url'),
    jwtSecretGenerated: values.JWT_SECRET === undefined,
    jwtPreviousSecrets: Object.freeze(previousSecrets),
    jwtIssuer: values.JWT_ISSUER,
    jwtAudience: values.JWT_AUDIENCE,
    accessTokenTtlSeconds,
    refreshTokenTtlSeconds,
    bcryptCost: values.BCRYPT_COST,
    corsOrigins: Object.freeze(corsOrigins),
    logLevel: values.LOG_LEVEL,
    admin,
    rateLimits: Object.freeze(rateLimitsOf(values)),
    trustProxy,
    shutdownTimeoutSeconds,
    eventLoopReportSeconds,
    passwordQueueMaxWaitSeconds,
    mongoConnectTimeoutSeconds,
    authCache: {
      enabled: values.AUTH_CACHE === 'on',
      maxStalenessMs: authCacheMaxStalenessMs ?? 0,
    },
    webConcurrency,
    // The cores are shared between the workers' hash pools, at least one thread each.
    hasherThreads: Math.max(1, Math.floor(cores / webConcurrency)),
    // A demo that signs people in is a development aid: production must ask for it.
    demoPage:
      values.DEMO_PAGE === undefined ? !production : ['true', 'on'].includes(values.DEMO_PAGE),
    refreshCookieSameSite: values.REFRESH_COOKIE_SAMESITE,
    mail: Object.freeze(mail),
    accountTokenLifetimes: Object.freeze(accountTokenLifetimes),
    requireEmailVerification: values.REQUIRE_EMAIL_VERIFICATION,
  });
}

/** What the commands in src/cli need: the database they write to, and for create-admin more. */
export interface CommandConfig {
  mongoUri: string;
  mongoConnectTimeoutSeconds: number;
  bcryptCost: number;
  /** The password, when given by the environment rather than at a prompt. */
  adminPassword: string | undefined;
}

export function loadCommandConfig(env: NodeJS.ProcessEnv, command: string): CommandConfig {
  const { values, problems } = parseEnv(env, [
    'MONGO_URI',
    'MONGO_CONNECT_TIMEOUT',
    'BCRYPT_COST',
    'ADMIN_PASSWORD',
  ]);
  if (!values.MONGO_URI && problems.length === 0) {
    problems.push(`MONGO_URI is not set: ${command} writes to the database it names`);
  }
  const connectTimeout = parseDuration(values.MONGO_CONNECT_TIMEOUT);
  if (connectTimeout === undefined) {
    problems.push('MONGO_CONNECT_TIMEOUT: must look like 30s, 15m, 24h or 7d');
  }
  if (problems.length > 0 || !values.MONGO_URI) throw new ConfigError(problems);
  return {
    mongoUri: values.MONGO_URI,
    mongoConnectTimeoutSeconds: connectTimeout ?? 0,
    bcryptCost: values.BCRYPT_COST,
    adminPassword: values.ADMIN_PASSWORD,
  };
}

/** The directory the development database keeps between runs, beside the project. */
export const DEFAULT_EMBEDDED_MONGO_DBPATH = '.keycard-data';

/**
 * Where the embedded database keeps its data: `memory` keeps none, and tests default to memory
 * so that every run starts empty. A relative path is taken from the directory keycard starts in
 * (the project's, for npm scripts).
 */
function embeddedMongoDbPath(
  value: string | undefined,
  nodeEnv: Env['NODE_ENV'],
): string | undefined {
  const chosen = value ?? (nodeEnv === 'test' ? 'memory' : DEFAULT_EMBEDDED_MONGO_DBPATH);
  return chosen === 'memory' ? undefined : path.resolve(chosen);
}

function rateLimitsOf(values: Env): RateLimits {
  return {
    loginPerIp: { max: values.LOGIN_MAX_ATTEMPTS_PER_IP, windowSeconds: 15 * MINUTE },
    registerPerIp: { max: values.REGISTER_MAX_PER_HOUR, windowSeconds: HOUR },
    refreshPerIp: { max: values.REFRESH_MAX_PER_MINUTE, windowSeconds: MINUTE },
    login: {
      failuresPerPair: { max: values.LOGIN_MAX_FAILURES, windowSeconds: DAY },
      failuresPerEmail: { max: values.LOGIN_MAX_FAILURES_PER_DAY, windowSeconds: DAY },
    },
    mailPerIp: { max: values.MAIL_MAX_PER_IP_PER_HOUR, windowSeconds: HOUR },
    mailPerAccount: { max: values.PASSWORD_RESET_MAX_PER_HOUR, windowSeconds: HOUR },
  };
}

// "Name <address>" or a bare address (no-reply@localhost is fine in development).
const MAIL_FROM_PATTERN = /^(?:[^<>\r\n]*<([^<>\s]+)>|([^<>\s]+))$/;

function parseMailFrom(value: string, problems: string[]): string {
  const match = MAIL_FROM_PATTERN.exec(value.trim());
  const address = match?.[1] ?? match?.[2];
  if (address === undefined || !/^[^\s@<>]+@[^\s@<>]+$/.test(address)) {
    problems.push(
      'MAIL_FROM: must be an address, optionally with a name: keycard <no-reply@example.com>',
    );
  }
  return value.trim();
}

/** APP_URL: an http(s) address the links are built on, e.g. https://app.example.com/account. */
function parseAppUrl(value: string, problems: string[]): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || !/^https?:$/.test(url.protocol) || url.search !== '' || url.hash !== '') {
    problems.push(
      'APP_URL: must be an http(s) address without a query, like https://app.example.com',
    );
    return value;
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

function splitList(list: string | undefined): string[] {
  return (list ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * TRUST_PROXY: false, a hop count, or the trusted proxies' addresses and subnets. Never `true`:
 * Express would then take the left-most X-Forwarded-For entry, which the client writes itself,
 * and every per-address limit would count whatever address the client chose.
 */
function parseTrustProxy(value: string | undefined, problems: string[]): number | string | false {
  if (value === undefined || value === 'false') return false;
  if (/^\d+$/.test(value)) return Number(value);
  const entries = splitList(value);
  const valid = (entry: string) => {
    const [address = '', prefix] = entry.split('/');
    return (
      PROXY_NAMES.has(entry) ||
      (isIP(address) !== 0 && (prefix === undefined || /^\d{1,3}$/.test(prefix)))
    );
  };
  if (value === 'true' || entries.length === 0 || !entries.every(valid)) {
    problems.push(
      'TRUST_PROXY: must be the number of proxies in front of keycard (1 behind one proxy) or ' +
        'their addresses and subnets (loopback, 10.0.0.0/8, ...); "true" would let every ' +
        'client choose its own address through X-Forwarded-For',
    );
    return false;
  }
  return value;
}

function parseOrigins(list: string | undefined, problems: string[]): string[] {
  const origins: string[] = [];
  for (const entry of splitList(list)) {
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
  const seed = adminSeedSchema.safeParse({ email, password, name: name ?? 'Administrator' });
  if (!seed.success) {
    for (const issue of seed.error.issues) {
      problems.push(`ADMIN_${String(issue.path[0]).toUpperCase()}: ${issue.message}`);
    }
    return undefined;
  }
  return seed.data;
}

export const adminSeedSchema = z.object({
  email: emailSchema,
  password: passwordSchema,
  name: nameSchema,
});
