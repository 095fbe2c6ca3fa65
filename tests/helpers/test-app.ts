import jwt from 'jsonwebtoken';
import { keyIdOf } from '../../src/core/tokens';
import type { Express } from 'express';
import type { Connection } from 'mongoose';
import { createApp } from '../../src/app';
import { startSession } from '../../src/core/sessions';
import { loadConfig, type Config } from '../../src/config/load-config';
import { closeAppContext, createAppContext, type AppContext } from '../../src/context';
import { connectDatabase } from '../../src/db/connect';
import type { MailTransport } from '../../src/core/mail/transport';
import { createLogger } from '../../src/logger';
import type { UserDocument } from '../../src/models/user';
import type { Role } from '../../src/models/roles';
import { testDatabase } from './test-database';

export const TEST_SECRET = 'test-signing-key-0123456789-abcdefghijklmnopqrstuvwxyz';

export interface TestApp {
  app: Express;
  context: AppContext;
  config: Readonly<Config>;
  connection: Connection;
  close(): Promise<void>;
}

/** A keycard app on a database of its own, with a low bcrypt cost so hashing stays fast. */
export async function createTestApp(
  label: string,
  env: Record<string, string> = {},
  options: {
    shareDatabaseWith?: TestApp;
    logLines?: string[];
    /** Polls the mail outbox this often once the sender is started (fast in tests). */
    mailPollIntervalMs?: number;
    mailTransport?: MailTransport;
    /** Where a development server would show logged mail in plain words. */
    terminal?: (text: string) => void;
    /** The driver emits commandStarted for every command (on a database of the app's own). */
    monitorCommands?: boolean;
  } = {},
): Promise<TestApp> {
  const { uri, dbName } = testDatabase(label);
  const shared = options.shareDatabaseWith;
  const config = loadConfig({
    NODE_ENV: 'test',
    JWT_SECRET: TEST_SECRET,
    BCRYPT_COST: '4',
    LOG_LEVEL: 'silent',
    MONGO_URI: uri,
    // Generous limits, so only the rate-limit tests (which set their own) ever meet them.
    LOGIN_MAX_FAILURES: '1000',
    LOGIN_MAX_FAILURES_PER_DAY: '100000',
    LOGIN_MAX_ATTEMPTS_PER_IP: '1000000',
    REGISTER_MAX_PER_HOUR: '1000000',
    REFRESH_MAX_PER_MINUTE: '1000000',
    ...env,
  });
  const connection =
    shared?.connection.useDb(shared.connection.name, { useCache: false }) ??
    (await connectDatabase(withDatabase(uri, dbName, options.monitorCommands)));
  const logLines = options.logLines;
  const logger = createLogger({
    level: logLines ? 'info' : config.logLevel,
    destination: logLines ? { write: (line: string) => void logLines.push(line) } : undefined,
  });
  const context = await createAppContext({
    config,
    logger,
    connection,
    hasherWorkers: 1,
    mailPollIntervalMs: options.mailPollIntervalMs ?? 50,
    mailTransport: options.mailTransport,
    terminal: options.terminal,
  });
  return {
    app: createApp(context),
    context,
    config,
    connection,
    async close() {
      await closeAppContext(context);
      if (shared) return;
      await connection.dropDatabase();
      await connection.close();
    },
  };
}

function withDatabase(uri: string, dbName: string, monitorCommands = false): string {
  const url = new URL(uri);
  url.pathname = `/${dbName}`;
  if (monitorCommands) url.searchParams.set('monitorCommands', 'true');
  return url.toString();
}

let userCounter = 0;

/**
 * `appWith(env, shareWith?)` for one test file: each app on the `label` database (or sharing
 * another app's), `defaults` under the env it is given, and every app closed after the file's
 * tests, the last made first (one sharing another's database closes before it).
 */
export function appsClosedAfterAll(label: string, defaults: Record<string, string> = {}) {
  const apps: TestApp[] = [];
  afterAll(async () => {
    for (const testApp of apps.reverse()) await testApp.close();
  });
  return async (env: Record<string, string> = {}, shareWith?: TestApp): Promise<TestApp> => {
    const testApp = await createTestApp(
      label,
      { ...defaults, ...env },
      { shareDatabaseWith: shareWith },
    );
    apps.push(testApp);
    return testApp;
  };
}

export interface CreatedUser {
  user: UserDocument;
  password: string;
  /** An access token of a fresh session, as a login would give. */
  token: string;
  refreshToken: string;
  sessionId: string;
}

/** Creates a user through the model (so the hashing hook runs) and signs a token for them. */
export async function createUser(
  testApp: TestApp,
  overrides: { name?: string; email?: string; password?: string; role?: Role } = {},
): Promise<CreatedUser> {
  userCounter += 1;
  const password = overrides.password ?? `correct-horse-${userCounter}`;
  const user = await testApp.context.core.users.create({
    name: overrides.name ?? `User ${userCounter}`,
    email: overrides.email ?? `user${userCounter}@example.com`,
    password,
    role: overrides.role ?? 'user',
  });
  const { session, refreshToken } = await startSession(testApp.context.core, user, {
    userAgent: 'test-helper',
    ip: '127.0.0.1',
  });
  const sessionId = session._id.toHexString();
  const { token } = testApp.context.core.tokens.signAccessToken({
    id: user.id as string,
    role: user.role,
    sessionId,
  });
  return { user, password, token, refreshToken, sessionId };
}

export function bearer(token: string): { Authorization: string } {
  return { Authorization: `Bearer ${token}` };
}

export { request } from './checked-request';

/**
 * Signs claims the way keycard does (HS256, typ at+jwt, kid of the secret) with any secret,
 * so tests can make expired, forged or otherwise wrong tokens by changing one thing at a time.
 */
export function signTestToken(
  payload: Record<string, unknown>,
  options: { secret?: string; algorithm?: jwt.Algorithm; header?: Record<string, unknown> } = {},
): string {
  const secret = options.secret ?? TEST_SECRET;
  const algorithm = options.algorithm ?? 'HS256';
  return jwt.sign(payload, secret, {
    algorithm,
    header: {
      alg: algorithm,
      typ: 'at+jwt',
      kid: keyIdOf(secret),
      ...options.header,
    } as jwt.JwtHeader,
  });
}
