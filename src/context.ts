import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import type { Connection } from 'mongoose';
import type { Config } from './config/load-config';
import { createRecoveryService, type RecoveryService } from './core/account-recovery';
import { createAccountTokens } from './core/account-tokens';
import { createAccountService, createDummyHash, type AccountService } from './core/accounts';
import { createAdminService, type AdminService } from './core/admin-users';
import { createAuthenticator, type Authenticator } from './core/authenticator';
import { createAuthCache } from './core/auth-cache';
import type { CoreDeps } from './core/deps';
import { createDeviceTokens } from './core/device-tokens';
import { createEmailAddressService, type EmailAddressService } from './core/email-address';
import { createLoginThrottle } from './core/login-throttle';
import { createMailOutbox } from './core/mail/outbox';
import { createSealedBox } from './core/mail/sealed-box';
import { createMailSender, type MailSender } from './core/mail/sender';
import { createSmtpTransport } from './core/mail/smtp-transport';
import { loadMailTemplates } from './core/mail/templates';
import { createLogTransport, type MailTransport } from './core/mail/transport';
import { createPasswordHasher, type PasswordHasher } from './core/password-hasher';
import { createLimiter, type Limiter } from './core/rate-limiter';
import { createRevocations, pollRevocations } from './core/revocations';
import { createSessionService, type SessionService } from './core/session-service';
import { createTokenService } from './core/tokens';
import { ensureIndexesOnReconnect } from './db/ensure-indexes-on-reconnect';
import type { Logger } from './logger';
import { createAuthEventLogModel } from './models/auth-events';
import { createAccountTokenModel } from './models/account-token';
import { createMailOutboxModel } from './models/mail-outbox';
import { createLoginGateModel } from './models/login-gate';
import { createSessionModel } from './models/session';
import { createUserModel } from './models/user';

/** Everything the HTTP layer needs, built once from the config and an open connection. */
export interface AppContext {
  config: Readonly<Config>;
  logger: Logger;
  connection: Connection;
  /** The models and the pieces the services share (tests and the CLI reach in here). */
  core: CoreDeps;
  accounts: AccountService;
  sessions: SessionService;
  admin: AdminService;
  authenticate: Authenticator;
  recovery: RecoveryService;
  emailAddresses: EmailAddressService;
  /** Delivers the mail outbox; server.ts starts it, closeAppContext stops it. */
  mailSender: MailSender;
  mailTransport: MailTransport;
  limiters: {
    loginPerIp: Limiter;
    registerPerIp: Limiter;
    refreshPerIp: Limiter;
    /** Requests that cause a mail (forgot, resend, email change). */
    mailPerIp: Limiter;
  };
  /** Stops the auth event poller (closeAppContext calls it). */
  stopPolling: () => Promise<void>;
  /** Stops rebuilding the indexes after each reconnect (closeAppContext calls it). */
  stopIndexRebuilds: () => void;
}

function refreshKeyOf(secret: string): KeyObject {
  return createSecretKey(
    createHmac('sha256', secret).update('keycard refresh-token successor').digest(),
  );
}

function createIpLimiters(
  connection: Connection,
  limits: Config['rateLimits'],
): AppContext['limiters'] {
  return {
    loginPerIp: createLimiter(connection, 'login_ip', limits.loginPerIp),
    registerPerIp: createLimiter(connection, 'register_ip', limits.registerPerIp),
    refreshPerIp: createLimiter(connection, 'refresh_ip', limits.refreshPerIp),
    mailPerIp: createLimiter(connection, 'mail_ip', limits.mailPerIp),
  };
}

/**
 * The indexes keycard relies on: the unique email index is what refuses duplicates, the TTL
 * indexes remove ended sessions, old rate-limit counters and login gates. Built before the
 * first request and again after every reconnect (a database restarted empty has none).
 * (init() alone skips index builds when autoIndex is off, as it is here.) One collection holds
 * every rate-limit counter, so one limiter's store builds its indexes for all of them.
 */
async function buildIndexes(
  models: readonly { init: () => Promise<unknown>; createIndexes: () => Promise<unknown> }[],
  limiters: AppContext['limiters'],
): Promise<void> {
  for (const model of models) {
    await model.init();
    await model.createIndexes();
  }
  await limiters.loginPerIp.store.createIndexes();
}

// Long as the one place that wires every piece in order; each step is a line or two.
export async function createAppContext(options: {
  config: Readonly<Config>;
  logger: Logger;
  connection: Connection;
  hasherWorkers?: number;
  /** Replaces the worker pool (benchmarks compare it with hashing on the main thread). */
  hasher?: PasswordHasher;
  /** Replaces the transport SMTP_URL would give (tests count what a failing one is handed). */
  mailTransport?: MailTransport;
  /** Where a person watching sees mails that were only logged (no SMTP_URL). */
  terminal?: (text: string) => void;
  /** How often an idle mail sender polls the outbox (1 s by default). */
  mailPollIntervalMs?: number;
}): Promise<AppContext> {
  const { config, logger, connection } = options;
  const hasher =
    options.hasher ??
    createPasswordHasher({
      cost: config.bcryptCost,
      workers: options.hasherWorkers,
      maxWaitMs: config.passwordQueueMaxWaitSeconds * 1000,
    });
  const users = createUserModel(connection, hasher);
  const sessions = createSessionModel(connection);
  const accountTokenModel = createAccountTokenModel(connection);
  const outboxModel = createMailOutboxModel(connection);
  const loginGates = createLoginGateModel(connection);
  const limits = config.rateLimits;
  const limiters = createIpLimiters(connection, limits);
  const mail = createMail(options, outboxModel);
  const build = () =>
    buildIndexes([users, sessions, accountTokenModel, outboxModel, loginGates], limiters);
  await build();
  const stopIndexRebuilds = ensureIndexesOnReconnect(connection, {
    build,
    onRebuilt: () => logger.info('indexes checked after the database came back'),
    onError: (error) =>
      logger.warn({ err: error }, 'index check after a reconnect failed; retried on the next'),
  });
  const dummyHash = createDummyHash(hasher);
  // Never an unhandled rejection if the hasher closes before anyone awaited it.
  dummyHash.catch(() => undefined);
  const cache = createAuthCache(config.authCache);
  const events = createAuthEventLogModel(connection);
  // Four reads of the event log per staleness bound: a change elsewhere is seen well within it.
  const stopPolling = cache.enabled
    ? pollRevocations(events, cache, {
        intervalMs: Math.max(25, Math.floor(config.authCache.maxStalenessMs / 4)),
        onError: (error) => logger.debug({ err: error }, 'auth event poll failed'),
      })
    : async () => undefined;

  const core: CoreDeps = {
    users,
    sessions,
    hasher,
    dummyHash,
    tokens: createTokenService({
      secret: config.jwtSecret,
      previousSecrets: config.jwtPreviousSecrets,
      issuer: config.jwtIssuer,
      audience: config.jwtAudience,
      accessTokenTtlSeconds: config.accessTokenTtlSeconds,
    }),
    loginThrottle: createLoginThrottle(loginGates, limits.login),
    deviceTokens: createDeviceTokens(config.jwtSecret, config.jwtPreviousSecrets),
    refreshKey: refreshKeyOf(config.jwtSecret),
    previousRefreshKeys: config.jwtPreviousSecrets.map(refreshKeyOf),
    refreshTokenTtlSeconds: config.refreshTokenTtlSeconds,
    revocations: createRevocations(events, cache),
    cache,
    accountTokens: createAccountTokens(accountTokenModel),
    tokenLifetimes: config.accountTokenLifetimes,
    outbox: mail.outbox,
    appUrl: config.mail.appUrl,
    mailPerAccount: createLimiter(connection, 'mail_account', limits.mailPerAccount),
    requireEmailVerification: config.requireEmailVerification,
  };
  return {
    config,
    logger,
    connection,
    core,
    accounts: createAccountService(core),
    sessions: createSessionService(core),
    admin: createAdminService(core),
    authenticate: createAuthenticator(core),
    recovery: createRecoveryService(core),
    emailAddresses: createEmailAddressService(core),
    mailSender: mail.sender,
    mailTransport: mail.transport,
    limiters,
    stopPolling,
    stopIndexRebuilds,
  };
}

/** The outbox requests write to, and the sender that delivers it (not started here). */
function createMail(
  options: Parameters<typeof createAppContext>[0],
  model: ReturnType<typeof createMailOutboxModel>,
) {
  const { config, logger } = options;
  const box = createSealedBox(config.jwtSecret, config.jwtPreviousSecrets);
  const outbox = createMailOutbox(model, box);
  const transport =
    options.mailTransport ??
    (config.mail.smtpUrl
      ? createSmtpTransport(config.mail.smtpUrl, config.mail.from)
      : createLogTransport(logger, options.terminal));
  const sender = createMailSender({
    model,
    outbox,
    transport,
    render: loadMailTemplates(),
    box,
    logger,
    maxAgeSeconds: config.mail.maxAgeSeconds,
    pollIntervalMs: options.mailPollIntervalMs,
  });
  return { outbox, transport, sender };
}

/** Stops the mail sender (a delivery in progress finishes), then the transport and workers. */
export async function closeAppContext(context: AppContext): Promise<void> {
  context.stopIndexRebuilds();
  await context.stopPolling();
  await context.mailSender.stop();
  await context.mailTransport.close();
  await context.core.hasher.close();
}
