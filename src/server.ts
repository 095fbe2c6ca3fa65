import 'dotenv/config';
import { createServer, type Server } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Connection } from 'mongoose';
import type { EmbeddedMongo } from '@keycard/embedded-mongo';
import { createApp } from './app';
import { ConfigError, loadConfig, type Config } from './config/load-config';
import { closeAppContext, createAppContext, type AppContext } from './context';
import { ensureFirstAdmin } from './core/ensure-admin';
import { connectDatabase, hostsOf } from './db/connect';
import { createLifecycle, drainServer, type Lifecycle } from './http/drain';
import { createLogger, type Logger } from './logger';
import { isClusterWorker, runPrimary } from './server-cluster';

function readConfig(): Readonly<Config> {
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}

/** Logs are JSON for machines; a person at a terminal also gets warnings in plain words. */
function warnLoudly(logger: Logger, message: string, fields: object = {}): void {
  logger.warn(fields, message);
  if (process.stderr.isTTY) console.error(`\n  WARNING: ${message}\n`);
}

async function openDatabase(
  config: Readonly<Config>,
  logger: Logger,
): Promise<{ uri: string; embedded?: EmbeddedMongo }> {
  if (config.mongoUri) return { uri: config.mongoUri };
  // Any local user can reach a port on 127.0.0.1: the embedded database demands a login with
  // credentials made for this run. They live in embedded.uri only, which is never logged.
  let embedded: EmbeddedMongo;
  try {
    // Loaded only here, so that a server given MONGO_URI (a cluster's worker too) never loads
    // the embedded server and its query engine (about 15 MB of memory, and a slower start).
    const { startEmbeddedMongo } = await import('@keycard/embedded-mongo');
    embedded = await startEmbeddedMongo({
      mode: config.embeddedMongo,
      auth: true,
      dbPath: config.embeddedMongoDbPath,
      log: (message) => logger.info(message),
    });
  } catch (error) {
    // A data directory another keycard holds, or damaged files: the message says which.
    const message = `the embedded MongoDB did not start: ${error instanceof Error ? error.message : String(error)}`;
    logger.fatal({ err: error }, message);
    if (process.stderr.isTTY) console.error(`\n  ${message}\n`);
    process.exit(1);
  }
  const where =
    embedded.dbPath === undefined
      ? 'in memory. All data is lost on exit (EMBEDDED_MONGO_DBPATH=memory).'
      : `with its data in ${embedded.dbPath} (EMBEDDED_MONGO_DBPATH), kept across restarts.`;
  warnLoudly(
    logger,
    `MONGO_URI is not set: using an embedded MongoDB (${embedded.kind}) at ${embedded.address}, ` +
      `with a login for this run only, ${where}`,
    { address: embedded.address, kind: embedded.kind, dbPath: embedded.dbPath ?? 'memory' },
  );
  return { uri: embedded.uri, embedded };
}

/**
 * A log line every `intervalSeconds` with the event loop's delay since the last one: how long
 * a ready callback waited for its turn, the first sign of work that blocks every request.
 */
function reportEventLoopDelay(logger: Logger, intervalSeconds: number): void {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  const toMs = (nanoseconds: number) => Math.round(nanoseconds / 1e4) / 100;
  setInterval(() => {
    logger.info(
      {
        eventLoopDelay: {
          p50Ms: toMs(histogram.percentile(50)),
          p99Ms: toMs(histogram.percentile(99)),
          maxMs: toMs(histogram.max),
        },
      },
      'event loop delay',
    );
    histogram.reset();
  }, intervalSeconds * 1000).unref();
}

async function connectOrExit(
  uri: string,
  config: Readonly<Config>,
  logger: Logger,
): Promise<Connection> {
  const timeoutSeconds = config.mongoConnectTimeoutSeconds;
  try {
    return await connectDatabase(uri, {
      timeoutMs: timeoutSeconds * 1000,
      onWaiting: (hosts) =>
        logger.warn({ hosts }, `waiting for MongoDB at ${hosts} (up to ${timeoutSeconds} s)`),
    });
  } catch (error) {
    const message =
      `MongoDB at ${hostsOf(uri)} did not answer within ${timeoutSeconds} s ` +
      '(MONGO_CONNECT_TIMEOUT); keycard is not starting';
    logger.fatal({ err: error }, message);
    if (process.stderr.isTTY) console.error(`\n  ${message}\n`);
    process.exit(1);
  }
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve) => {
    server.listen(port, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

/**
 * SIGTERM or SIGINT: stop accepting, let requests in flight finish (up to SHUTDOWN_TIMEOUT),
 * then stop the mail sender (a delivery in progress finishes; waiting mail stays in the outbox
 * for the next start), the hash workers, the database connection and the embedded database, in
 * that order, so nothing a running request needs goes away under it. A second signal exits at
 * once.
 */
function closeOnSignal(options: {
  server: Server;
  lifecycle: Lifecycle;
  context: AppContext;
  embedded: EmbeddedMongo | undefined;
}): void {
  const { server, lifecycle, context, embedded } = options;
  const { logger } = context;
  const shutdown = async (signal: NodeJS.Signals) => {
    if (lifecycle.draining) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    lifecycle.startDraining();
    logger.info({ signal }, 'shutting down: draining requests in flight');
    const finished = await drainServer(server, context.config.shutdownTimeoutSeconds * 1000);
    if (!finished) logger.warn('shutdown timeout reached: closing the remaining connections');
    await closeAppContext(context);
    await context.connection.close();
    await embedded?.stop();
    logger.info('shut down');
    process.exit(0);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    shutdown(signal).catch((error: unknown) => {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.on('SIGTERM', onSignal);
  // A worker of a cluster drains when its primary says so (SIGTERM); a Ctrl-C reaches the whole
  // process group, and the primary's SIGTERM must not then count as a second signal.
  if (isClusterWorker()) process.on('SIGINT', () => undefined);
  else process.on('SIGINT', onSignal);
}

async function main(): Promise<void> {
  const config = readConfig();
  const logger = createLogger({ level: config.logLevel });
  if (config.jwtSecretGenerated) {
    warnLoudly(
      logger,
      'JWT_SECRET is not set: using a random signing secret for this run only. Access tokens ' +
        'stop verifying when the process exits (clients then refresh); sessions and refresh ' +
        'tokens live in the database and survive a restart if it does. Set JWT_SECRET ' +
        '(npm run gen-secret) for a stable key.',
    );
  }
  if (config.webConcurrency > 1 && !isClusterWorker()) {
    await runPrimary({ config, logger, openDatabase: () => openDatabase(config, logger) });
    return;
  }
  reportEventLoopDelay(logger, config.eventLoopReportSeconds);
  const { uri, embedded } = await openDatabase(config, logger);
  const connection = await connectOrExit(uri, config, logger);
  const context = await createAppContext({
    config,
    logger,
    connection,
    hasherWorkers: config.hasherThreads,
    terminal: process.stderr.isTTY ? (text) => console.error(text) : undefined,
  });
  if (!config.mail.smtpUrl) {
    warnLoudly(
      logger,
      'SMTP_URL is not set: mails are not sent, each one is written to the log with its links.',
    );
  }
  if (config.admin) {
    const outcome = await ensureFirstAdmin(context.core, config.admin);
    if (outcome !== 'exists') logger.info({ email: config.admin.email }, `first admin ${outcome}`);
  }
  // Also delivers what a previous run left waiting in the outbox.
  context.mailSender.start();
  const lifecycle = createLifecycle();
  const server = createServer(createApp(context, { lifecycle }));
  const port = await listen(server, config.port);
  logger.info(`keycard listening on http://localhost:${port}`);
  closeOnSignal({ server, lifecycle, context, embedded });
}

main().catch((error: unknown) => {
  console.error('keycard failed to start:', error);
  process.exit(1);
});
