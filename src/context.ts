import type { Connection } from 'mongoose';
import { createDummyHash } from './auth/login-user';
import { createPasswordHasher, type PasswordHasher } from './auth/password-hasher';
import { createTokenService, type TokenService } from './auth/tokens';
import type { Config } from './config';
import type { Logger } from './logger';
import { createUserModel, type UserModel } from './models/user';

/** Everything the routes need, built once from the config and an open connection. */
export interface AppContext {
  config: Readonly<Config>;
  logger: Logger;
  connection: Connection;
  users: UserModel;
  hasher: PasswordHasher;
  tokens: TokenService;
  dummyHash: Promise<string>;
}

export async function createAppContext(options: {
  config: Readonly<Config>;
  logger: Logger;
  connection: Connection;
  hasherWorkers?: number;
}): Promise<AppContext> {
  const { config, logger, connection } = options;
  const hasher = createPasswordHasher({ cost: config.bcryptCost, workers: options.hasherWorkers });
  const users = createUserModel(connection, hasher);
  // Build the unique email index before the first request: it is what refuses duplicates.
  // (init() alone skips index builds when autoIndex is off, as it is in production.)
  await users.init();
  await users.createIndexes();
  const tokens = createTokenService({
    secret: config.jwtSecret,
    issuer: config.jwtIssuer,
    audience: config.jwtAudience,
    accessTokenTtlSeconds: config.accessTokenTtlSeconds,
  });
  const dummyHash = createDummyHash(hasher);
  // Never an unhandled rejection if the hasher closes before anyone awaited it.
  dummyHash.catch(() => undefined);
  return { config, logger, connection, users, hasher, tokens, dummyHash };
}

export async function closeAppContext(context: AppContext): Promise<void> {
  await context.hasher.close();
}
