import fs from 'node:fs';
import path from 'node:path';
import { toNumber, type BsonDocument } from '../bson-values';
import type { CollectionStore } from '../collection-store';
import type { StoreChange } from '../store-change';
import { encodeRecord, scanRecordFile, syncDirectory, writeFully } from './record-file';
import {
  applyChange,
  changeFromRecord,
  changeRecord,
  DataFileError,
  lsnOf,
} from './store-change-records';

export const snapshotFileName = 'wire-snapshot.bson';
const format = 'keycard-wire-snapshot';
const version = 1;
const writeBatchBytes = 1024 * 1024;

/** Gathers records into writes of about 1 MiB. */
class BatchedWriter {
  readonly #fd: number;
  #batch: Buffer[] = [];
  #batchBytes = 0;
  bytes = 0;

  constructor(fd: number) {
    this.#fd = fd;
  }

  write(body: BsonDocument): void {
    const record = encodeRecord(body);
    this.#batch.push(record);
    this.#batchBytes += record.length;
    this.bytes += record.length;
    if (this.#batchBytes >= writeBatchBytes) this.flush();
  }

  flush(): void {
    if (this.#batch.length === 0) return;
    writeFully(this.#fd, Buffer.concat(this.#batch));
    this.#batch = [];
    this.#batchBytes = 0;
  }
}

/** Every change that rebuilds the store as it is: each collection, its indexes, its documents. */
function* storeAsChanges(store: CollectionStore): Generator<StoreChange> {
  for (const collection of store.everyCollection()) {
    const where = { db: collection.database, collection: collection.name };
    yield { op: 'createCollection', ...where, options: collection.options, uuid: collection.uuid };
    for (const { spec } of collection.indexes) yield { op: 'createIndex', ...where, spec };
    for (const document of collection.all()) yield { op: 'insert', ...where, document };
  }
}

/**
 * Writes the whole store as of journal sequence number `lastLsn`: to a temporary file first,
 * flushed to disk, then renamed over the previous snapshot. A crash at any point leaves either
 * the old snapshot or the new one, never a part of one. Returns the snapshot's size in bytes.
 */
export function writeSnapshot(store: CollectionStore, directory: string, lastLsn: number): number {
  const file = path.join(directory, snapshotFileName);
  const temporary = `${file}.tmp`;
  const fd = fs.openSync(temporary, 'w');
  let bytes: number;
  try {
    const writer = new BatchedWriter(fd);
    writer.write({ format, version, lastLsn, createdAt: new Date() });
    let documents = 0;
    for (const change of storeAsChanges(store)) {
      if (change.op === 'insert') documents++;
      writer.write(changeRecord(change));
    }
    // A snapshot without this last record was cut short, which the rename should make impossible.
    writer.write({ end: true, documents });
    writer.flush();
    fs.fsyncSync(fd);
    bytes = writer.bytes;
  } catch (error) {
    fs.closeSync(fd);
    fs.rmSync(temporary, { force: true });
    throw error;
  }
  fs.closeSync(fd);
  fs.renameSync(temporary, file);
  syncDirectory(directory);
  return bytes;
}

export interface LoadedSnapshot {
  /** The last journal sequence number the snapshot holds (0 without a snapshot). */
  lastLsn: number;
  bytes: number;
}

function checkHeader(record: BsonDocument, file: string): number {
  if (record.format !== format) throw new DataFileError(`${file} is not a wire server snapshot`);
  if (toNumber(record.version) !== version) {
    throw new DataFileError(
      `${file} has snapshot version ${String(record.version)}, not ${version}`,
    );
  }
  return lsnOf({ lsn: record.lastLsn });
}

/**
 * Rebuilds the store from the snapshot in `directory`, if there is one. Unlike the journal's,
 * a snapshot's damage is never a torn write (it is renamed into place whole), so it is fatal.
 */
export function loadSnapshot(store: CollectionStore, directory: string): LoadedSnapshot {
  const file = path.join(directory, snapshotFileName);
  fs.rmSync(`${file}.tmp`, { force: true });
  if (!fs.existsSync(file)) return { lastLsn: 0, bytes: 0 };
  let lastLsn: number | undefined;
  let ended = false;
  let documents = 0;
  const scan = scanRecordFile(file, (record) => {
    if (ended) throw new DataFileError(`${file} has records after its end`);
    if (lastLsn === undefined) {
      lastLsn = checkHeader(record, file);
    } else if (record.end === true) {
      ended = true;
      if (toNumber(record.documents) !== documents) {
        throw new DataFileError(`${file} ends with a document count that does not match`);
      }
    } else {
      const change = changeFromRecord(record);
      if (change.op === 'insert') documents++;
      applyChange(store, change);
    }
  });
  if (!ended || lastLsn === undefined || scan.validBytes !== scan.fileBytes) {
    throw new DataFileError(
      `${file} is damaged after byte ${scan.validBytes} of ${scan.fileBytes}. A snapshot is ` +
        'renamed into place only once it is whole, so something else changed it; the journal ' +
        'beside it holds only the writes made since, and cannot replace it',
    );
  }
  return { lastLsn, bytes: scan.fileBytes };
}
