// The login ceiling's hash time: how long one bcrypt comparison takes on this machine while
// every core compares at once, as every core does at the ceiling.
import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import bcrypt from 'bcryptjs';

// Plain CommonJS evaluated by each thread; bcryptjs is resolved here and handed over by path.
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const bcrypt = require(workerData.bcryptPath);
parentPort.on('message', ({ password, hash, rounds }) => {
  const started = performance.now();
  for (let round = 0; round < rounds; round += 1) bcrypt.compareSync(password, hash);
  parentPort.postMessage((performance.now() - started) / rounds);
});
`;

const ROUNDS = 3;

export interface HashTimes {
  /** ms per hash with one thread per core hashing at once. */
  together: number;
  /** ms per hash with one thread hashing and the other cores idle. */
  alone: number;
}

const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;

/**
 * One thread per core. "cores ÷ one hash alone" would be a ceiling this machine does not reach
 * even when it does nothing but hash: with every core busy each hash takes longer.
 */
export function createHashClock(password: string, cost: number) {
  // Made at the first measurement: a run without login rows hashes nothing and starts no thread.
  let started: { hash: string; threads: Worker[] } | undefined;

  function start() {
    started ??= {
      hash: bcrypt.hashSync(password, cost),
      threads: Array.from({ length: availableParallelism() }, () => {
        const thread = new Worker(THREAD_SOURCE, {
          eval: true,
          workerData: { bcryptPath: require.resolve('bcryptjs') },
        });
        thread.unref();
        return thread;
      }),
    };
    return started;
  }

  async function timeOn(thread: Worker, hash: string): Promise<number> {
    // events.once also rejects on 'error', and removes both listeners either way.
    const answered = once(thread, 'message');
    thread.postMessage({ password, hash, rounds: ROUNDS });
    const [ms] = (await answered) as [number];
    return ms;
  }

  return {
    async measure(): Promise<HashTimes> {
      const { hash, threads } = start();
      const together = mean(await Promise.all(threads.map((thread) => timeOn(thread, hash))));
      const alone = await timeOn(threads[0] as Worker, hash);
      return { together, alone };
    },
    async close(): Promise<void> {
      await Promise.all((started?.threads ?? []).map((thread) => thread.terminate()));
    },
  };
}
