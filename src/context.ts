import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import type { Connection } from 'mongoose';
import { createDummyHash } from './auth/login-user';
import { createPasswordHasher, type PasswordHasher } from './auth/password-hasher';
import { createTokenService, type TokenService } from './auth/tokens';
import type { Config } from './config';
import type { Logger } from './logger';
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
  refreshTokenTtlSeconds: number;
  dummyHash: Promise<string>;
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
    issuer: config.jwtIssuer,
    audience: config.jwtAudience,
    accessTokenTtlSeconds: config.accessTokenTtlSeconds,
  });
  const refreshKey = createSecretKey(
    createHmac('sha256', config.jwtSecret).update('keycard refresh-token successor').digest(),
  );
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
    refreshKey,
    refreshTokenTtlSeconds: config.refreshTokenTtlSeconds,
    dummyHash,
  };
}

export async function closeAppContext(context: AppContext): Promise<void> {
  await context.hasher.close();
}
