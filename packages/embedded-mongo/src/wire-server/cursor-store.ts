import { Long } from 'bson';
import type { BsonDocument } from './bson-values';
import { CommandError } from './errors';
import { bsonSizeUpTo, maxInternalDocumentBytes, objectTooLarge } from './limits/document-size';
import type { Projector } from './projection';
import { maxBsonObjectSize } from './wire-protocol';

interface OpenCursor {
  id: Long;
  namespace: string;
  documents: BsonDocument[];
  position: number;
  project: Projector | undefined;
  lastUsed: number;
}

/** mongod's default first batch size when the client does not give one. */
const defaultFirstBatch = 101;
/** Idle cursors are reaped after 10 minutes, like mongod's cursorTimeoutMillis. */
const cursorTimeoutMs = 10 * 60 * 1000;
// Replies must stay under the 16 MiB document limit; leave room for the envelope.
const batchByteBudget = maxBsonObjectSize - 64 * 1024;

export interface CursorReply extends BsonDocument {
  cursor: { id: Long; ns: string; firstBatch?: BsonDocument[]; nextBatch?: BsonDocument[] };
  ok: 1;
}

export class CursorStore {
  readonly #cursors = new Map<string, OpenCursor>();
  #nextId = Math.floor(Math.random() * 1_000_000_000) + 1;

  /**
   * Returns the first batch of `documents` and keeps the rest behind a cursor id when more remain.
   * `batchSize` undefined means mongod's default; singleBatch closes the cursor after it.
   */
  open(
    namespace: string,
    documents: BsonDocument[],
    options: { batchSize?: number; singleBatch?: boolean; project?: Projector },
  ): CursorReply {
    const cursor: OpenCursor = {
      id: Long.ZERO,
      namespace,
      documents,
      position: 0,
      project: options.project,
      lastUsed: Date.now(),
    };
    const batch = this.#takeBatch(cursor, options.batchSize ?? defaultFirstBatch);
    if (cursor.position < documents.length && !options.singleBatch) {
      cursor.id = Long.fromNumber(this.#nextId++);
      this.#cursors.set(cursor.id.toString(), cursor);
    }
    return { cursor: { firstBatch: batch, id: cursor.id, ns: namespace }, ok: 1 };
  }

  getMore(id: Long, namespace: string, batchSize: number | undefined): CursorReply {
    const key = id.toString();
    const cursor = this.#cursors.get(key);
    if (!cursor) throw new CommandError('CursorNotFound', `cursor id ${key} not found`);
    if (cursor.namespace !== namespace) {
      throw new CommandError(
        'Unauthorized',
        `Requested getMore on namespace '${namespace}', but cursor belongs to a different namespace ${cursor.namespace}`,
      );
    }
    cursor.lastUsed = Date.now();
    let batch: BsonDocument[];
    try {
      batch = this.#takeBatch(cursor, batchSize && batchSize > 0 ? batchSize : Infinity);
    } catch (error) {
      // Like mongod, a cursor that failed is gone.
      this.#cursors.delete(key);
      throw error;
    }
    const exhausted = cursor.position >= cursor.documents.length;
    if (exhausted) this.#cursors.delete(key);
    return {
      cursor: { nextBatch: batch, id: exhausted ? Long.ZERO : cursor.id, ns: namespace },
      ok: 1,
    };
  }

  kill(ids: Long[]): { killed: Long[]; notFound: Long[] } {
    const killed: Long[] = [];
    const notFound: Long[] = [];
    for (const id of ids) {
      (this.#cursors.delete(id.toString()) ? killed : notFound).push(id);
    }
    return { killed, notFound };
  }

  reapIdle(now: number): void {
    for (const [key, cursor] of this.#cursors) {
      if (now - cursor.lastUsed > cursorTimeoutMs) this.#cursors.delete(key);
    }
  }

  clear(): void {
    this.#cursors.clear();
  }

  #takeBatch(cursor: OpenCursor, limit: number): BsonDocument[] {
    const batch: BsonDocument[] = [];
    let bytes = 0;
    while (batch.length < limit && cursor.position < cursor.documents.length) {
      const stored = cursor.documents[cursor.position];
      if (!stored) break;
      const document = cursor.project ? cursor.project(stored) : stored;
      // Counted only up to the limit: an aggregation can build a document that repeats one
      // array a million times, whose full count would take minutes.
      const size = bsonSizeUpTo(document, maxInternalDocumentBytes);
      if (size > maxInternalDocumentBytes) throw objectTooLarge(size);
      if (batch.length > 0 && bytes + size > batchByteBudget) break;
      batch.push(document);
      bytes += size;
      cursor.position++;
    }
    return batch;
  }
}
