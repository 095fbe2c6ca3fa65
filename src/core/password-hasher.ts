import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import bcrypt from 'bcryptjs';
import { KeycardError } from './errors';
import { createFairQueue, type FairQueue } from './fair-queue';

export interface PasswordHasher {
  /** `clientKey` shares the pool fairly between clients (their rate-limit keys). */
  hash(password: string, clientKey?: string): Promise<string>;
  compare(password: string, hash: string, clientKey?: string): Promise<boolean>;
  /** The cost factor a stored hash was made with (to re-hash older, cheaper ones). */
  costOf(hash: string): number;
  readonly cost: number;
  close(): Promise<void>;
}

type Job =
  | { kind: 'hash'; password: string; cost: number }
  | { kind: 'compare'; password: string; hash: string };

interface PendingJob {
  id: number;
  job: Job;
  resolve: (result: string | boolean) => void;
  reject: (error: Error) => void;
}

type WorkerReply = { id: number; result: string | boolean } | { id: number; error: string };

// Plain CommonJS evaluated by the worker, so the same code runs under node, tsx and Jest
// without a build step; bcryptjs is resolved by the main thread and handed over by path.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const bcrypt = require(workerData.bcryptPath);
try {
  const threadId = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop());
  require('node:os').setPriority(threadId, workerData.niceness);
} catch {
  // Not Linux (a thread has no nice value of its own elsewhere): hash at the usual priority.
}
parentPort.on('message', ({ id, job }) => {
  try {
    const result = job.kind === 'hash'
      ? bcrypt.hashSync(job.password, job.cost)
      : bcrypt.compareSync(job.password, job.hash);
    parentPort.postMessage({ id, result });
  } catch (error) {
    parentPort.postMessage({ id, error: String((error && error.message) || error) });
  }
});
`;

/**
 * Hashing threads run below the event loop's priority (nice 10, on Linux): when every core is
 * hashing, a request that needs the event loop for a fraction of a millisecond gets a core at
 * once instead of waiting for a time slice, and hashing loses only that fraction.
 */
export const HASHER_NICENESS = 10;

// Before the first job has been timed: about 60 µs per round on a current core.
const ROUNDS_MS = 0.06;
const AVERAGE_WEIGHT = 0.2;

/** The running average of how long one job takes, from the cost until jobs have been timed. */
function createJobTimer(cost: number) {
  let averageMs = ROUNDS_MS * 2 ** cost;
  return {
    get averageMs() {
      return averageMs;
    },
    record(ms: number) {
      averageMs += AVERAGE_WEIGHT * (ms - averageMs);
    },
  };
}

/**
 * bcryptjs is pure JavaScript: one hash at cost 12 holds the CPU for hundreds of milliseconds,
 * and its "async" API only slices that work on the same event loop. Hashing in worker threads,
 * one per core, keeps every other request flowing while logins run and lets all cores hash.
 *
 * The queue in front of the workers is shared fairly between clients (round robin by client
 * key), so one address flooding logins cannot make everyone else wait behind it, and it is
 * bounded in time: a job that would wait longer than `maxWaitMs` is refused at once (503 with
 * Retry-After) rather than queued.
 */
export function createPasswordHasher(options: {
  cost: number;
  workers?: number;
  maxWaitMs?: number;
}): PasswordHasher {
  const size = Math.max(1, options.workers ?? availableParallelism());
  const maxWaitMs = options.maxWaitMs ?? Number.POSITIVE_INFINITY;
  const timer = createJobTimer(options.cost);
  const pool = createWorkerPool(size, timer);
  let nextId = 1;

  function run(job: Job, clientKey: string): Promise<string | boolean> {
    if (pool.closed) return Promise.reject(new Error('password hasher is closed'));
    const waitMs = pool.expectedWaitMs(clientKey);
    if (waitMs > maxWaitMs) {
      return Promise.reject(
        new KeycardError('service_unavailable', {
          message: 'Too many password checks are waiting; try again shortly',
          retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)),
        }),
      );
    }
    return new Promise((resolve, reject) => {
      pool.submit(clientKey, { id: nextId++, job, resolve, reject });
    });
  }

  return {
    cost: options.cost,
    async hash(password, clientKey = '') {
      return (await run({ kind: 'hash', password, cost: options.cost }, clientKey)) as string;
    },
    async compare(password, hash, clientKey = '') {
      return (await run({ kind: 'compare', password, hash }, clientKey)) as boolean;
    },
    costOf(hash) {
      try {
        const rounds = bcrypt.getRounds(hash);
        return Number.isInteger(rounds) ? rounds : 0;
      } catch {
        return 0;
      }
    },
    close: () => pool.close(),
  };
}

interface WorkerPool {
  readonly closed: boolean;
  submit(clientKey: string, pending: PendingJob): void;
  /** How long a job from this client would wait for a worker if submitted now. */
  expectedWaitMs(clientKey: string): number;
  close(): Promise<void>;
}

// Long only as the sum of its small inner functions, which share the pool's state.
function createWorkerPool(size: number, timer: ReturnType<typeof createJobTimer>): WorkerPool {
  const idle: Worker[] = [];
  const busy = new Map<Worker, { pending: PendingJob; startedAt: number }>();
  const queue: FairQueue<PendingJob> = createFairQueue();
  let closed = false;

  function spawn(): Worker {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { bcryptPath: require.resolve('bcryptjs'), niceness: HASHER_NICENESS },
    });
    worker.on('message', (reply: WorkerReply) => finish(worker, reply));
    worker.on('error', (error) => fail(worker, error));
    worker.on('exit', () => fail(worker, new Error('password worker exited')));
    return worker;
  }

  function finish(worker: Worker, reply: WorkerReply): void {
    const running = busy.get(worker);
    busy.delete(worker);
    if (running && running.pending.id === reply.id) {
      timer.record(performance.now() - running.startedAt);
      if ('error' in reply) running.pending.reject(new Error(reply.error));
      else running.pending.resolve(reply.result);
    }
    release(worker);
  }

  function fail(worker: Worker, error: Error): void {
    const running = busy.get(worker);
    busy.delete(worker);
    const index = idle.indexOf(worker);
    if (index >= 0) idle.splice(index, 1);
    running?.pending.reject(error);
    if (!closed) dispatch();
  }

  function release(worker: Worker): void {
    // An idle worker must not keep the process alive; a busy one must, or a CLI awaiting a
    // hash could exit before the answer arrives.
    worker.unref();
    idle.push(worker);
    dispatch();
  }

  function dispatch(): void {
    while (queue.size > 0) {
      let worker = idle.pop();
      if (!worker && busy.size < size) worker = spawn();
      if (!worker) return;
      const pending = queue.take() as PendingJob;
      busy.set(worker, { pending, startedAt: performance.now() });
      worker.ref();
      worker.postMessage({ id: pending.id, job: pending.job });
    }
  }

  return {
    get closed() {
      return closed;
    },
    submit(clientKey, pending) {
      queue.add(clientKey, pending);
      dispatch();
    },
    expectedWaitMs(clientKey) {
      const ahead = queue.aheadOf(clientKey) + busy.size;
      // Jobs ahead are served `size` at a time; with a worker free there is no wait at all.
      return Math.max(0, (ahead - size + 1) / size) * timer.averageMs;
    },
    async close() {
      closed = true;
      for (const pending of queue.drain()) pending.reject(new Error('password hasher is closed'));
      const workers = [...idle, ...busy.keys()];
      idle.length = 0;
      await Promise.all(workers.map((worker) => worker.terminate()));
    },
  };
}
