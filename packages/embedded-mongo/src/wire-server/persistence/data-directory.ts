import fs from 'node:fs';
import path from 'node:path';
import { toNumber, type BsonDocument } from '../bson-values';
import type { CollectionStore } from '../collection-store';
import { lockDataDirectory } from './directory-lock';
import { Journal, journalHeader, journalHeaderBytes } from './journal';
import { scanRecordFile, syncDirectory } from './record-file';
import { Checkpoints } from './checkpoints';
import { loadSnapshot } from './snapshot';
import { applyChange, changeFromRecord, DataFileError, lsnOf } from './store-change-records';

export const journalFileName = 'wire-journal.bson';

/** A checkpoint waits for the journal to reach at least this size (and the snapshot's). */
export const defaultCheckpointJournalBytes = 64 * 1024 * 1024;

export interface DataDirectoryOptions {
  log: (message: string) => void;
  syncIntervalMs: number;
  checkpointJournalBytes: number;
}

export interface DataDirectory {
  /** The absolute path of the directory. */
  readonly path: string;
  /** Writes a snapshot of the store and empties the journal. */
  checkpoint(): void;
  /** Checkpoints, flushes everything to disk and lets the directory go. */
  close(): Promise<void>;
}

function checkJournalHeader(record: BsonDocument, file: string): void {
  if (record.format !== journalHeader.format) {
    throw new DataFileError(`${file} is not a wire server journal`);
  }
  if (toNumber(record.version) !== journalHeader.version) {
    throw new DataFileError(
      `${file} has journal version ${String(record.version)}, not ${journalHeader.version}`,
    );
  }
}

/**
 * Applies the journal's changes made after the snapshot. Records up to `snapshotLsn` are already
 * in the snapshot (a crash came between its rename and the journal's truncation); the torn tail a
 * crash can leave is reported and left for the Journal to cut off.
 */
function replayJournal(
  store: CollectionStore,
  file: string,
  snapshotLsn: number,
  log: (message: string) => void,
): { lastLsn: number; validBytes: number } {
  if (!fs.existsSync(file)) return { lastLsn: snapshotLsn, validBytes: 0 };
  let sawHeader = false;
  let lastLsn = snapshotLsn;
  const scan = scanRecordFile(file, (record) => {
    if (!sawHeader) {
      checkJournalHeader(record, file);
      sawHeader = true;
      return;
    }
    const lsn = lsnOf(record);
    if (lsn <= snapshotLsn) return;
    if (lsn !== lastLsn + 1) {
      throw new DataFileError(
        `${file} continues at change ${lsn} after change ${lastLsn}: changes are missing ` +
          '(was the snapshot beside it removed or replaced?)',
      );
    }
    applyChange(store, changeFromRecord(record));
    lastLsn = lsn;
  });
  // A crash can tear the header only while it is the file's one record: anything longer that
  // does not start with one is some other file, which must not be cut short.
  if (!sawHeader && scan.fileBytes > journalHeaderBytes) {
    throw new DataFileError(`${file} does not start like a wire server journal`);
  }
  if (scan.validBytes < scan.fileBytes) {
    log(
      `ignoring the last ${scan.fileBytes - scan.validBytes} bytes of ${file}: a record cut short ` +
        'by a crash (it was never acknowledged). They are cut off.',
    );
  }
  return { lastLsn, validBytes: scan.validBytes };
}

/** Loads the snapshot and the journal into `store` and returns the journal, ready to append to. */
function load(store: CollectionStore, directory: string, options: DataDirectoryOptions) {
  const snapshot = loadSnapshot(store, directory);
  const journalFile = path.join(directory, journalFileName);
  const existed = fs.existsSync(journalFile);
  const replayed = replayJournal(store, journalFile, snapshot.lastLsn, options.log);
  const journal = new Journal(journalFile, {
    lastLsn: replayed.lastLsn,
    validBytes: replayed.validBytes,
    syncIntervalMs: options.syncIntervalMs,
  });
  // A new file's name is durable only once its directory is: a power cut must not lose it.
  if (!existed) syncDirectory(directory);
  return { journal, snapshotBytes: snapshot.bytes };
}

/**
 * Opens (creating it if needed) a data directory for `store`, which must be empty: takes the
 * directory's lock, loads the snapshot, replays the journal, and from then on journals every
 * change of the store and checkpoints it from time to time.
 */
export function openDataDirectory(
  store: CollectionStore,
  directory: string,
  options: DataDirectoryOptions,
): DataDirectory {
  const absolute = path.resolve(directory);
  fs.mkdirSync(absolute, { recursive: true });
  const release = lockDataDirectory(absolute, options.log);
  let loaded: ReturnType<typeof load>;
  try {
    loaded = load(store, absolute, options);
  } catch (error) {
    release();
    const reason = error instanceof Error ? error.message : String(error);
    throw new DataFileError(`cannot load the data directory ${absolute}: ${reason}`);
  }
  const { journal } = loaded;
  const checkpoints = new Checkpoints({
    store,
    directory: absolute,
    journal,
    minimumJournalBytes: options.checkpointJournalBytes,
    snapshotBytes: loaded.snapshotBytes,
    log: options.log,
  });
  store.attachJournal({
    append: (change) => journal.append(change),
    commit(writeConcern) {
      journal.commit(writeConcern);
      checkpoints.scheduleIfDue();
    },
  });

  let closed: Promise<void> | undefined;
  const close = async () => {
    checkpoints.finish();
    try {
      await journal.close();
    } finally {
      release();
    }
  };
  return {
    path: absolute,
    checkpoint: () => checkpoints.run(),
    close: () => (closed ??= close()),
  };
}
