import fs from 'node:fs';
import { isDocument, toNumber } from '../bson-values';
import type { StoreChange } from '../store-change';
import { encodeRecord, writeFully } from './record-file';
import { changeRecord } from './store-change-records';

/** The first record of every journal; a later format would change the version. */
export const journalHeader = { format: 'keycard-wire-journal', version: 1 } as const;
const headerRecord = encodeRecord(journalHeader);
export const journalHeaderBytes = headerRecord.length;

/** mongod's default storage.journal.commitIntervalMs. */
export const defaultJournalSyncIntervalMs = 100;

function isSet(value: unknown): boolean {
  return value === true || (typeof value !== 'boolean' && (toNumber(value) ?? 0) !== 0);
}

/**
 * `j: true`, `fsync: true` and `w: "majority"` ask for the write on disk before the reply (on a
 * standalone mongod "majority" means journaled, as writeConcernMajorityJournalDefault says).
 */
export function requiresDiskSync(writeConcern: unknown): boolean {
  if (!isDocument(writeConcern)) return false;
  return isSet(writeConcern.j) || isSet(writeConcern.fsync) || writeConcern.w === 'majority';
}

/**
 * The append-only file of changes since the last checkpoint. Appends wait in memory until
 * commit(), which the store calls once per command before the reply: one write(2) per command.
 * The operating system then holds them, so a killed process loses nothing acknowledged; a
 * timer flushes them to the disk (fdatasync) every `syncIntervalMs`, and a write concern that
 * asks for the disk gets an fdatasync before its reply.
 */
export class Journal {
  readonly #fd: number;
  readonly #timer: NodeJS.Timeout;
  #lsn: number;
  #bytes: number;
  #pending: Buffer[] = [];
  /** Written to the operating system but perhaps not yet to the disk. */
  #unsynced = false;
  #syncing: Promise<void> | undefined;
  /** A write or an fdatasync failed: nothing from then on can be promised to be on disk. */
  #failure: Error | undefined;
  #closed = false;

  /** Opens `file` for appending after `validBytes` (the torn tail, if any, is cut off first). */
  constructor(
    file: string,
    options: { lastLsn: number; validBytes: number; syncIntervalMs: number },
  ) {
    this.#fd = fs.openSync(file, 'a');
    this.#lsn = options.lastLsn;
    if (fs.fstatSync(this.#fd).size !== options.validBytes) {
      fs.ftruncateSync(this.#fd, options.validBytes);
      fs.fdatasyncSync(this.#fd);
    }
    this.#bytes = options.validBytes;
    if (this.#bytes === 0) this.#writeHeader();
    this.#timer = setInterval(() => this.#syncInBackground(), options.syncIntervalMs);
    this.#timer.unref();
  }

  /** The sequence number of the last change appended. */
  get lsn(): number {
    return this.#lsn;
  }

  /** The size of the journal file, header included. */
  get bytes(): number {
    return this.#bytes;
  }

  /** True once a write or flush has failed; every commit() throws from then on. */
  get failed(): boolean {
    return this.#failure !== undefined;
  }

  /** True when the journal holds no change, only its header. */
  get empty(): boolean {
    return this.#bytes <= headerRecord.length && this.#pending.length === 0;
  }

  append(change: StoreChange): void {
    this.#lsn++;
    this.#pending.push(encodeRecord(changeRecord(change, this.#lsn)));
  }

  commit(writeConcern: unknown): void {
    if (this.#failure) throw this.#failure;
    if (this.#pending.length > 0) {
      const bytes = Buffer.concat(this.#pending);
      this.#pending = [];
      this.#unsynced = true;
      this.#guard(() => writeFully(this.#fd, bytes));
      this.#bytes += bytes.length;
    }
    if (this.#unsynced && requiresDiskSync(writeConcern)) this.#guard(() => this.#syncNow());
  }

  #guard(io: () => void): void {
    try {
      io();
    } catch (error) {
      this.#failure = error instanceof Error ? error : new Error(String(error));
      throw error;
    }
  }

  /**
   * Empties the journal once a snapshot holds everything in it. A crash before the truncation
   * reaches the disk leaves records the snapshot already has: their sequence numbers are at most
   * the snapshot's, and start-up skips them.
   */
  truncate(): void {
    this.commit(undefined);
    fs.ftruncateSync(this.#fd, 0);
    this.#bytes = 0;
    this.#writeHeader();
  }

  /** Stops the timer and puts everything on disk. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#syncing;
    try {
      // After a failure the file ends where it failed; a restart cuts any torn record off.
      if (!this.failed) {
        this.commit(undefined);
        if (this.#unsynced) this.#syncNow();
      }
    } finally {
      fs.closeSync(this.#fd);
    }
  }

  #writeHeader(): void {
    writeFully(this.#fd, headerRecord);
    this.#bytes += headerRecord.length;
    this.#unsynced = true;
  }

  #syncNow(): void {
    fs.fdatasyncSync(this.#fd);
    this.#unsynced = false;
  }

  /** Off the event loop, so commands keep running while the disk catches up. */
  #syncInBackground(): void {
    if (!this.#unsynced || this.#syncing || this.#closed) return;
    this.#unsynced = false;
    this.#syncing = new Promise<void>((resolve) => {
      fs.fdatasync(this.#fd, (error) => {
        if (error) this.#failure = error;
        this.#syncing = undefined;
        resolve();
      });
    });
  }
}
