import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import type { Connection } from 'mongoose';
import { createDummyHash } from './auth/login-user';
import { createLoginThrottle, type LoginThrottle } from './auth/login-throttle';
import { createPasswordHasher, type PasswordHasher } from './auth/password-hasher';
import { createTokenService, type TokenService } from './auth/tokens';
import type { Config } from './config';
import type { Logger } from './logger';
import { createLimiter, type Limiter } from './middleware/rate-limit';
import { createSessionModel, type SessionModel } from './models/session';
import { createUserModel, type UserModel } from './models/user';

/** Everything the routes need, built once from the config and an open connection. */
export interface AppContext {
  config: Readonly<Config>;
  logger: Logger;
  connection: Connection;
  users: UserModel;
  sessions: SessionModel;
  hasher: PasswordHasher;
  tokens: TokenService;
  /** Derives refresh-token successors; separate from the signing key by construction. */
  refreshKey: KeyObject;
  previousRefreshKeys: readonly KeyObject[];
  refreshTokenTtlSeconds: number;
  dummyHash: Promise<string>;
  loginThrottle: LoginThrottle;
  limiters: { loginPerIp: Limiter; registerPerIp: Limiter; refreshPerIp: Limiter };
}

export async function createAppContext(options: {
  config: Readonly<Config>;
  logger: Logger;
  connection: Connection;
  hasherWorkers?: number;
  /** Replaces the worker pool (benchmarks compare it with hashing on the main thread). */
  hasher?: PasswordHasher;
}): Promise<AppContext> {
  const { config, logger, connection } = options;
  const hasher =
    options.hasher ??
    createPasswordHasher({ cost: config.bcryptCost, workers: options.hasherWorkers });
  const users = createUserModel(connection, hasher);
  const sessions = createSessionModel(connection);
  // Build the indexes before the first request: the unique email index is what refuses
  // duplicates, the TTL index is what removes ended sessions. (init() alone skips index
  // builds when autoIndex is off, as it is here.)
  for (const model of [users, sessions] as const) {
    await model.init();
    await model.createIndexes();
  }
  const tokens = createTokenService({
    secret: config.jwtSecret,
    previousSecrets: config.jwtPreviousSecrets,
    issuer: config.jwtIssuer,
    audience: config.jwtAudience,
    accessTokenTtlSeconds: config.accessTokenTtlSeconds,
  });
  const refreshKeyOf = (secret: string) =>
    createSecretKey(
      createHmac('sha256', secret).update('keycard refresh-token successor').digest(),
    );
  const limits = config.rateLimits;
  const limiters = {
    loginPerIp: createLimiter(connection, {
      keyPrefix: 'login_ip',
      points: limits.loginMaxAttemptsPerIp,
      durationSeconds: 15 * 60,
    }),
    registerPerIp: createLimiter(connection, {
      keyPrefix: 'register_ip',
      points: limits.registerMaxPerHour,
      durationSeconds: 3600,
    }),
    refreshPerIp: createLimiter(connection, {
      keyPrefix: 'refresh_ip',
      points: limits.refreshMaxPerMinute,
      durationSeconds: 60,
    }),
  };
  // One collection holds every counter: build its TTL and unique-key indexes once, before the
  // first request, rather than from each limiter in the background where a failure would only
  // be printed.
  await limiters.loginPerIp.store.createIndexes();
  const dummyHash = createDummyHash(hasher);
  // Never an unhandled rejection if the hasher closes before anyone awaited it.
  dummyHash.catch(() => undefined);
  return {
    config,
    logger,
    connection,
    users,
    sessions,
    hasher,
    tokens,
    refreshKey: refreshKeyOf(config.jwtSecret),
    previousRefreshKeys: config.jwtPreviousSecrets.map(refreshKeyOf),
    refreshTokenTtlSeconds: config.refreshTokenTtlSeconds,
    dummyHash,
    loginThrottle: createLoginThrottle(connection, limits),
    limiters,
  };
}

export async function closeAppContext(context: AppContext): Promise<void> {
  await context.hasher.close();
}
