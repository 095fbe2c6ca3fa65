import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import bcrypt from 'bcryptjs';

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  compare(password: string, hash: string): Promise<boolean>;
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
 * bcryptjs is pure JavaScript: one hash at cost 12 holds the CPU for hundreds of milliseconds,
 * and its "async" API only slices that work on the same event loop. Hashing in worker threads,
 * one per core, keeps every other request flowing while logins run and lets all cores hash.
 */
// Long only as the sum of its methods, each a few lines, which share these dependencies.
export function createPasswordHasher(options: { cost: number; workers?: number }): PasswordHasher {
  const size = Math.max(1, options.workers ?? availableParallelism());
  const idle: Worker[] = [];
  const busy = new Map<Worker, PendingJob>();
  const queue: PendingJob[] = [];
  let nextId = 1;
  let closed = false;

  function spawn(): Worker {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { bcryptPath: require.resolve('bcryptjs') },
    });
    worker.on('message', (reply: WorkerReply) => finish(worker, reply));
    worker.on('error', (error) => fail(worker, error));
    worker.on('exit', () => fail(worker, new Error('password worker exited')));
    return worker;
  }

  function finish(worker: Worker, reply: WorkerReply): void {
    const pending = busy.get(worker);
    busy.delete(worker);
    if (pending && pending.id === reply.id) {
      if ('error' in reply) pending.reject(new Error(reply.error));
      else pending.resolve(reply.result);
    }
    release(worker);
  }

  function fail(worker: Worker, error: Error): void {
    const pending = busy.get(worker);
    busy.delete(worker);
    const index = idle.indexOf(worker);
    if (index >= 0) idle.splice(index, 1);
    pending?.reject(error);
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
    while (queue.length > 0) {
      let worker = idle.pop();
      if (!worker && busy.size < size) worker = spawn();
      if (!worker) return;
      const pending = queue.shift() as PendingJob;
      busy.set(worker, pending);
      worker.ref();
      worker.postMessage({ id: pending.id, job: pending.job });
    }
  }

  function run(job: Job): Promise<string | boolean> {
    if (closed) return Promise.reject(new Error('password hasher is closed'));
    return new Promise((resolve, reject) => {
      queue.push({ id: nextId++, job, resolve, reject });
      dispatch();
    });
  }

  return {
    cost: options.cost,
    async hash(password) {
      return (await run({ kind: 'hash', password, cost: options.cost })) as string;
    },
    async compare(password, hash) {
      return (await run({ kind: 'compare', password, hash })) as boolean;
    },
    costOf(hash) {
      try {
        const rounds = bcrypt.getRounds(hash);
        return Number.isInteger(rounds) ? rounds : 0;
      } catch {
        return 0;
      }
    },
    async close() {
      closed = true;
      for (const pending of queue.splice(0)) pending.reject(new Error('password hasher is closed'));
      const workers = [...idle, ...busy.keys()];
      idle.length = 0;
      await Promise.all(workers.map((worker) => worker.terminate()));
    },
  };
}
