import 'dotenv/config';
import type { Server } from 'node:http';
import { createApp } from './app';
import { ConfigError, loadConfig } from './config';
import { closeAppContext, createAppContext } from './context';
import { connectDatabase } from './db/connect';
import { startEmbeddedMongo, type EmbeddedMongo } from '@keycard/embedded-mongo';
import { createLogger } from './logger';
import { ensureFirstAdmin } from './users/ensure-admin';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger({ level: config.logLevel });
  // Logs are JSON for machines; a person at a terminal also gets these in plain words.
  const warnLoudly = (message: string, fields: object = {}) => {
    logger.warn(fields, message);
    if (process.stderr.isTTY) console.error(`\n  WARNING: ${message}\n`);
  };

  if (config.jwtSecretGenerated) {
    warnLoudly(
      'JWT_SECRET is not set: using a random secret for this run only. Every token dies when ' +
        'the process exits. Set JWT_SECRET (npm run gen-secret) to keep them.',
    );
  }

  let embedded: EmbeddedMongo | undefined;
  let mongoUri = config.mongoUri;
  if (!mongoUri) {
    embedded = await startEmbeddedMongo({ log: (message) => logger.info(message) });
    mongoUri = embedded.uri;
    warnLoudly(
      `MONGO_URI is not set: using an embedded in-memory MongoDB (${embedded.kind}) at ` +
        `${mongoUri}. All data is lost on exit.`,
      { uri: mongoUri, kind: embedded.kind },
    );
  }

  const connection = await connectDatabase(mongoUri);
  const context = await createAppContext({ config, logger, connection });

  if (config.admin) {
    const outcome = await ensureFirstAdmin(context, config.admin);
    if (outcome !== 'exists') logger.info({ email: config.admin.email }, `first admin ${outcome}`);
  }

  const server: Server = createApp(context).listen(config.port, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    logger.info(`keycard listening on http://localhost:${port}`);
  });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    server.close();
    server.closeIdleConnections();
    await closeAppContext(context);
    await connection.close();
    await embedded?.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  console.error('keycard failed to start:', error);
  process.exit(1);
});
