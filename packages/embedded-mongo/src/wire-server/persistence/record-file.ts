import fs from 'node:fs';
import { crc32 } from 'node:zlib';
import { BSON } from 'bson';
import type { BsonDocument } from '../bson-values';

/**
 * The journal and the snapshot are both a sequence of records:
 *
 *   uint32 LE  length of the body in bytes
 *   uint32 LE  CRC-32 of the body (zlib's, as in gzip and PNG)
 *   body       one BSON document
 *
 * A process killed in the middle of a write leaves a last record that is short or fails its
 * checksum; the length and checksum are what let a reader tell it from a good one.
 */
export const recordHeaderBytes = 8;

/** Far above any record written (a 16 MiB document and its envelope): a longer length is damage. */
const maxBodyBytes = 64 * 1024 * 1024;
/** The smallest BSON document, {}, is 5 bytes. */
const minBodyBytes = 5;
const readChunkBytes = 1024 * 1024;

// Numbers stay Int32/Double/Long wrappers, as the wire protocol reads them, so int, double and
// long come back from the disk as they were sent.
const deserializeOptions = { promoteValues: false } as const;

export function encodeRecord(body: BsonDocument): Buffer {
  const bytes = BSON.serialize(body);
  const record = Buffer.allocUnsafe(recordHeaderBytes + bytes.length);
  record.writeUInt32LE(bytes.length, 0);
  record.writeUInt32LE(crc32(bytes), 4);
  record.set(bytes, recordHeaderBytes);
  return record;
}

export interface RecordScan {
  /** How many bytes from the start of the file hold whole, valid records. */
  validBytes: number;
  fileBytes: number;
}

/**
 * Reads records one at a time, so a file far larger than memory can allow in one Buffer still
 * loads. Each body is copied out of the read buffer: BSON binaries are views of the bytes they
 * were read from, and the read buffer is reused.
 */
class RecordReader {
  readonly #fd: number;
  #buffer = Buffer.alloc(readChunkBytes);
  #start = 0;
  #end = 0;
  #eof = false;

  constructor(fd: number) {
    this.#fd = fd;
  }

  /** The next `count` bytes, or undefined when the file ends first. Valid until the next call. */
  take(count: number): Buffer | undefined {
    if (this.#end - this.#start < count) this.#fill(count);
    if (this.#end - this.#start < count) return undefined;
    const bytes = this.#buffer.subarray(this.#start, this.#start + count);
    this.#start += count;
    return bytes;
  }

  #fill(count: number): void {
    const held = this.#buffer.subarray(this.#start, this.#end);
    if (count > this.#buffer.length) {
      const larger = Buffer.alloc(Math.max(count, this.#buffer.length * 2));
      held.copy(larger);
      this.#buffer = larger;
    } else {
      this.#buffer.copy(this.#buffer, 0, this.#start, this.#end);
    }
    this.#end = held.length;
    this.#start = 0;
    while (!this.#eof && this.#end < this.#buffer.length) {
      const read = fs.readSync(
        this.#fd,
        this.#buffer,
        this.#end,
        this.#buffer.length - this.#end,
        null,
      );
      if (read === 0) this.#eof = true;
      this.#end += read;
    }
  }
}

/**
 * Calls `visit` with each valid record of the file, in order, and stops at the first record that
 * is cut short, has an impossible length or fails its checksum: everything from there on is a
 * torn write. (SQLite's write-ahead log stops at its first invalid frame in the same way.)
 */
export function scanRecordFile(path: string, visit: (body: BsonDocument) => void): RecordScan {
  const fd = fs.openSync(path, 'r');
  try {
    const fileBytes = fs.fstatSync(fd).size;
    const reader = new RecordReader(fd);
    let validBytes = 0;
    for (;;) {
      const header = reader.take(recordHeaderBytes);
      if (!header) break;
      const length = header.readUInt32LE(0);
      const checksum = header.readUInt32LE(4);
      if (length < minBodyBytes || length > maxBodyBytes) break;
      const body = reader.take(length);
      if (!body || crc32(body) !== checksum || body.readInt32LE(0) !== length) break;
      visit(BSON.deserialize(Buffer.from(body), deserializeOptions));
      validBytes += recordHeaderBytes + length;
    }
    return { validBytes, fileBytes };
  } finally {
    fs.closeSync(fd);
  }
}

/** write(2) until every byte is written: a regular file may take fewer bytes than asked. */
export function writeFully(fd: number, bytes: Buffer): void {
  let written = 0;
  while (written < bytes.length) {
    written += fs.writeSync(fd, bytes, written, bytes.length - written);
  }
}

/** Makes a rename or a new file in `directory` durable; a no-op where directories can't be opened. */
export function syncDirectory(directory: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(directory, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Windows cannot open a directory; its renames are durable once they return.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
