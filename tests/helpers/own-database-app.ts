import { startWireServer, type WireServer } from '@keycard/embedded-mongo';
import type { Express } from 'express';
import { createApp } from '../../src/app';
import { loadConfig } from '../../src/config/load-config';
import { closeAppContext, createAppContext, type AppContext } from '../../src/context';
import { connectDatabase } from '../../src/db/connect';
import { createLogger } from '../../src/logger';
import { TEST_SECRET } from './test-app';

export interface OwnDatabaseApp {
  /** A wire server of the test's own, which the test may stop and start again. */
  database: WireServer;
  context: AppContext;
  app: Express;
}

/** A keycard app on a database server of its own, its log lines collected in `lines`. */
export async function appOnOwnDatabase(dbName: string, lines: string[]): Promise<OwnDatabaseApp> {
  const database = await startWireServer({ host: '127.0.0.1' });
  const config = loadConfig({
    NODE_ENV: 'test',
    JWT_SECRET: TEST_SECRET,
    BCRYPT_COST: '4',
    MONGO_URI: database.uri,
  });
  const connection = await connectDatabase(`${database.uri}${dbName}`);
  const logger = createLogger({
    level: 'info',
    destination: { write: (line: string) => void lines.push(line) },
  });
  const context = await createAppContext({ config, logger, connection, hasherWorkers: 1 });
  return { database, context, app: createApp(context) };
}

/** Closes the app's context and connection (the test stops its own database). */
export async function closeOwnDatabaseApp(context: AppContext): Promise<void> {
  await closeAppContext(context);
  await context.connection.close(true);
}
