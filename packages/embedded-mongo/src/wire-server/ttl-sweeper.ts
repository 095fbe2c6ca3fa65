import type { CollectionStore } from './collection-store';

/** mongod's default ttlMonitorSleepSecs. */
export const defaultTtlSweepIntervalMs = 60_000;

/** Removes expired documents from every collection with a TTL index; returns how many went. */
export function sweepExpiredDocuments(store: CollectionStore, now = Date.now()): number {
  let removed = 0;
  for (const collection of store.everyCollection()) removed += collection.sweepExpired(now);
  return removed;
}

/** A background timer that runs `sweep` every interval; it never keeps the process alive. */
export class TtlSweeper {
  #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  readonly #sweep: () => void;

  constructor(intervalMs: number, sweep: () => void) {
    this.#intervalMs = intervalMs;
    this.#sweep = sweep;
  }

  get intervalMs(): number {
    return this.#intervalMs;
  }

  start(): void {
    this.stop();
    this.#timer = setInterval(() => this.#sweep(), this.#intervalMs);
    this.#timer.unref();
  }

  reschedule(intervalMs: number): void {
    this.#intervalMs = intervalMs;
    if (this.#timer) this.start();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
