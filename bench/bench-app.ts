// What every HTTP benchmark needs: a database (MONGO_URI or the embedded one) and a keycard
// app listening on 127.0.0.1 with one known user, on a database of its own.
import type { AddressInfo } from 'node:net';
import { createApp } from '../src/app';
import type { PasswordHasher } from '../src/core/password-hasher';
import { loadConfig } from '../src/config/load-config';
import { closeAppContext, createAppContext, type AppContext } from '../src/context';
import { connectDatabase } from '../src/db/connect';
import { startEmbeddedMongo } from '@keycard/embedded-mongo';
import { createLogger } from '../src/logger';

export const BENCH_CREDENTIALS = { email: 'bench@example.com', password: 'benchmark password' };

export interface BenchDatabase {
  uri: string;
  /** "wire" or "mongod" for the embedded server, "MONGO_URI" for one given. */
  label: string;
  stop(): Promise<void>;
}

export async function startBenchDatabase(): Promise<BenchDatabase> {
  if (process.env.MONGO_URI) {
    return { uri: process.env.MONGO_URI, label: 'MONGO_URI', stop: async () => undefined };
  }
  const mongo = await startEmbeddedMongo({ allowDownload: false, log: () => undefined });
  return { uri: mongo.uri, label: mongo.kind, stop: () => mongo.stop() };
}

export interface BenchApp {
  url: string;
  context: AppContext;
  close(): Promise<void>;
}

export async function startBenchApp(options: {
  database: BenchDatabase;
  name: string;
  env?: Record<string, string>;
  hasher?: PasswordHasher;
  /** Changes the context before the app is built (e.g. to switch something off). */
  adjust?: (context: AppContext) => void;
}): Promise<BenchApp> {
  const connection = await connectDatabase(
    `${options.database.uri.replace(/\/?$/, '/')}keycard_bench_${options.name}`,
  );
  await connection.dropDatabase();
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ...options.env });
  const context = await createAppContext({
    config,
    connection,
    logger: createLogger({ level: 'silent' }),
    ...(options.hasher ? { hasher: options.hasher } : {}),
  });
  options.adjust?.(context);
  const server = createApp(context).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  await context.core.users.create({ name: 'Bench', ...BENCH_CREDENTIALS });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    context,
    async close() {
      server.close();
      server.closeAllConnections();
      await closeAppContext(context);
      await connection.dropDatabase();
      await connection.close();
    },
  };
}
