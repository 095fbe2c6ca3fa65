import cluster, { type Worker } from 'node:cluster';
import type { Config } from './config/load-config';
import type { Logger } from './logger';

const FIRST_RESTART_DELAY_MS = 1000;
const LONGEST_RESTART_DELAY_MS = 30_000;
// A worker that lived this long was healthy: the next death starts the backoff over.
const HEALTHY_LIFETIME_MS = 60_000;
// On top of SHUTDOWN_TIMEOUT, for a worker to close its connections and exit.
const EXIT_GRACE_MS = 5000;

export interface PrimaryOptions {
  config: Readonly<Config>;
  logger: Logger;
  /** The database every worker connects to: MONGO_URI, or an embedded one started here. */
  openDatabase(): Promise<{ uri: string; embedded?: { stop(): Promise<void> } }>;
}

/**
 * WEB_CONCURRENCY > 1: this process holds the port (node:cluster shares it round robin) and,
 * without MONGO_URI, the embedded database; the workers run keycard. A worker that dies is
 * replaced, with backoff; a signal drains every worker, then stops the database.
 */
export async function runPrimary(options: PrimaryOptions): Promise<void> {
  const { config, logger } = options;
  const { uri, embedded } = await options.openDatabase();
  // Every worker must sign and verify with the same key, generated or not.
  const workerEnv = { MONGO_URI: uri, JWT_SECRET: config.jwtSecret };
  let stopping = false;
  let restartDelay = FIRST_RESTART_DELAY_MS;
  const startedAt = new Map<Worker, number>();

  const fork = () => startedAt.set(cluster.fork(workerEnv), Date.now());
  cluster.on('exit', (worker, code, signal) => {
    const lived = Date.now() - (startedAt.get(worker) ?? Date.now());
    startedAt.delete(worker);
    if (stopping) return;
    if (lived > HEALTHY_LIFETIME_MS) restartDelay = FIRST_RESTART_DELAY_MS;
    logger.error(
      { pid: worker.process.pid, code, signal, restartInMs: restartDelay },
      'worker died',
    );
    setTimeout(() => {
      if (!stopping) fork();
    }, restartDelay);
    restartDelay = Math.min(restartDelay * 2, LONGEST_RESTART_DELAY_MS);
  });
  for (let index = 0; index < config.webConcurrency; index += 1) fork();
  logger.info(
    { workers: config.webConcurrency },
    `keycard primary started ${config.webConcurrency} workers`,
  );

  const shutdown = async (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: stopping every worker now');
      for (const worker of startedAt.keys()) worker.process.kill('SIGKILL');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down: draining every worker');
    const exits = [...startedAt.keys()].map(
      (worker) => new Promise<void>((resolve) => worker.once('exit', () => resolve())),
    );
    for (const worker of startedAt.keys()) worker.process.kill('SIGTERM');
    const deadline = setTimeout(
      () => {
        for (const worker of startedAt.keys()) worker.process.kill('SIGKILL');
      },
      config.shutdownTimeoutSeconds * 1000 + EXIT_GRACE_MS,
    );
    await Promise.all(exits);
    clearTimeout(deadline);
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
  process.on('SIGINT', onSignal);
}

export function isClusterWorker(): boolean {
  return cluster.isWorker;
}
