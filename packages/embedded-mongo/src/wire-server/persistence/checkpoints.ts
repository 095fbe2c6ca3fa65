import type { CollectionStore } from '../collection-store';
import type { Journal } from './journal';
import { writeSnapshot } from './snapshot';

/**
 * When the journal is compacted into a snapshot: once it outgrows both `minimumJournalBytes`
 * and the last snapshot. Growing with the snapshot keeps compaction to at most about twice what
 * the clients wrote, however large the store.
 */
export class Checkpoints {
  readonly #store: CollectionStore;
  readonly #directory: string;
  readonly #journal: Journal;
  readonly #minimumJournalBytes: number;
  readonly #log: (message: string) => void;
  #dueAt: number;
  #scheduled: NodeJS.Immediate | undefined;

  constructor(options: {
    store: CollectionStore;
    directory: string;
    journal: Journal;
    minimumJournalBytes: number;
    snapshotBytes: number;
    log: (message: string) => void;
  }) {
    this.#store = options.store;
    this.#directory = options.directory;
    this.#journal = options.journal;
    this.#minimumJournalBytes = options.minimumJournalBytes;
    this.#log = options.log;
    this.#dueAt = this.#threshold(options.snapshotBytes);
  }

  #threshold(snapshotBytes: number): number {
    return Math.max(this.#minimumJournalBytes, snapshotBytes);
  }

  /** Writes a snapshot of the store as of the journal's last change, then empties the journal. */
  run(): void {
    this.#journal.commit(undefined);
    const snapshotBytes = writeSnapshot(this.#store, this.#directory, this.#journal.lsn);
    this.#journal.truncate();
    this.#dueAt = this.#threshold(snapshotBytes);
  }

  /**
   * Called after each commit. The checkpoint runs after the reply, not before it: the command
   * that tipped the balance need not wait for it.
   */
  scheduleIfDue(): void {
    if (this.#journal.bytes < this.#dueAt || this.#scheduled) return;
    this.#scheduled = setImmediate(() => {
      this.#scheduled = undefined;
      this.#runOrLog('');
    });
  }

  /** At a clean close: the next start then loads one file instead of replaying the journal. */
  finish(): void {
    if (this.#scheduled) clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    // Not after a journal failure: memory then holds writes whose clients were told they failed.
    if (!this.#journal.empty && !this.#journal.failed) this.#runOrLog(' at close');
  }

  #runOrLog(when: string): void {
    try {
      this.run();
    } catch (error) {
      // The journal still holds every change: try again once it has grown as much once more.
      this.#dueAt = this.#journal.bytes + this.#threshold(0);
      this.#log(
        `checkpoint of ${this.#directory}${when} failed, the journal keeps every write: ${String(error)}`,
      );
    }
  }
}
