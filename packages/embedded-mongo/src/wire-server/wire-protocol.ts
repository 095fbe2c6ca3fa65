import { BSON, type Document } from 'bson';
import type { BsonDocument } from './bson-values';
import { maxInternalDocumentBytes } from './limits/document-size';

// Framing for the three opcodes a modern driver uses: the legacy OP_QUERY handshake (answered with
// OP_REPLY) and OP_MSG for everything else.
// https://www.mongodb.com/docs/manual/reference/mongodb-wire-protocol/

export const OpCode = { Reply: 1, Query: 2004, Compressed: 2012, Msg: 2013 } as const;

export const headerSize = 16;
export const maxMessageSizeBytes = 48_000_000;
export const maxBsonObjectSize = 16 * 1024 * 1024;

const checksumPresent = 1 << 0;
const moreToComeFlag = 1 << 1;

// Numbers stay Int32/Double/Long wrappers so int, double and long round-trip as they were sent.
const deserializeOptions = { promoteValues: false } as const;

export interface MessageHeader {
  messageLength: number;
  requestId: number;
  responseTo: number;
  opCode: number;
}

export type IncomingMessage =
  | { kind: 'query'; header: MessageHeader; fullCollectionName: string; query: BsonDocument }
  | { kind: 'msg'; header: MessageHeader; moreToCome: boolean; command: BsonDocument }
  | { kind: 'unsupported'; header: MessageHeader };

export class ProtocolError extends Error {}

/** A document over mongod's 16 MB + 16 KB internal limit, in a message or a reply. */
export class DocumentTooLargeError extends ProtocolError {
  constructor(readonly size: number) {
    super(`document of ${size} bytes is over the ${maxInternalDocumentBytes}-byte limit`);
  }
}

export function readHeader(buffer: Buffer): MessageHeader {
  return {
    messageLength: buffer.readInt32LE(0),
    requestId: buffer.readInt32LE(4),
    responseTo: buffer.readInt32LE(8),
    opCode: buffer.readInt32LE(12),
  };
}

function deserializeAt(buffer: Buffer, offset: number): { document: BsonDocument; end: number } {
  if (offset + 4 > buffer.length) throw new ProtocolError('truncated BSON document');
  const size = buffer.readInt32LE(offset);
  if (size < 5 || offset + size > buffer.length) {
    throw new ProtocolError('invalid BSON document length');
  }
  if (size > maxInternalDocumentBytes) throw new DocumentTooLargeError(size);
  const document = BSON.deserialize(
    buffer.subarray(offset, offset + size),
    deserializeOptions,
  ) as BsonDocument;
  return { document, end: offset + size };
}

function readCString(buffer: Buffer, offset: number): { value: string; end: number } {
  const terminator = buffer.indexOf(0, offset);
  if (terminator < 0) throw new ProtocolError('unterminated C string');
  return { value: buffer.toString('utf8', offset, terminator), end: terminator + 1 };
}

/** Parses one complete message (header included). Throws ProtocolError on malformed input. */
export function parseMessage(message: Buffer): IncomingMessage {
  const header = readHeader(message);
  if (header.opCode === OpCode.Query) {
    let offset = headerSize + 4; // flags
    const name = readCString(message, offset);
    offset = name.end + 8; // numberToSkip, numberToReturn
    const { document } = deserializeAt(message, offset);
    return { kind: 'query', header, fullCollectionName: name.value, query: document };
  }
  if (header.opCode === OpCode.Msg) {
    const flags = message.readUInt32LE(headerSize);
    const end = flags & checksumPresent ? message.length - 4 : message.length;
    let offset = headerSize + 4;
    let body: BsonDocument | undefined;
    const sequences: Array<[string, BsonDocument[]]> = [];
    while (offset < end) {
      const kind = message.readUInt8(offset);
      offset += 1;
      if (kind === 0) {
        const parsed = deserializeAt(message, offset);
        body = parsed.document;
        offset = parsed.end;
      } else if (kind === 1) {
        const sectionSize = message.readInt32LE(offset);
        const sectionEnd = offset + sectionSize;
        if (sectionSize < 5 || sectionEnd > end) {
          throw new ProtocolError('invalid document sequence length');
        }
        const identifier = readCString(message, offset + 4);
        const documents: BsonDocument[] = [];
        let cursor = identifier.end;
        while (cursor < sectionEnd) {
          const parsed = deserializeAt(message, cursor);
          documents.push(parsed.document);
          cursor = parsed.end;
        }
        sequences.push([identifier.value, documents]);
        offset = sectionEnd;
      } else {
        throw new ProtocolError(`unknown OP_MSG section kind ${kind}`);
      }
    }
    if (!body) throw new ProtocolError('OP_MSG has no body section');
    // Document sequences (the driver sends `documents`, `updates`, `deletes` this way) are
    // fields of the command, exactly as if they had been embedded in the body.
    for (const [identifier, documents] of sequences) body[identifier] = documents;
    return { kind: 'msg', header, moreToCome: (flags & moreToComeFlag) !== 0, command: body };
  }
  return { kind: 'unsupported', header };
}

function writeHeader(
  buffer: Buffer,
  length: number,
  requestId: number,
  responseTo: number,
  opCode: number,
) {
  buffer.writeInt32LE(length, 0);
  buffer.writeInt32LE(requestId, 4);
  buffer.writeInt32LE(responseTo, 8);
  buffer.writeInt32LE(opCode, 12);
}

let nextRequestId = 1;
function takeRequestId(): number {
  nextRequestId = (nextRequestId % 0x7fffffff) + 1;
  return nextRequestId;
}

/**
 * BSON bytes of a reply. js-bson serializes into a 17 MB buffer and silently cuts a longer
 * string short, so anything over mongod's internal limit is refused rather than sent.
 */
function serialize(document: Document): Buffer {
  const bytes = BSON.serialize(document);
  if (bytes.byteLength > maxInternalDocumentBytes) {
    throw new DocumentTooLargeError(bytes.byteLength);
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function encodeOpReply(responseTo: number, document: Document): Buffer {
  const body = serialize(document);
  const fixed = headerSize + 20;
  const message = Buffer.alloc(fixed + body.length);
  writeHeader(message, message.length, takeRequestId(), responseTo, OpCode.Reply);
  message.writeInt32LE(0, headerSize); // responseFlags
  message.writeBigInt64LE(0n, headerSize + 4); // cursorID
  message.writeInt32LE(0, headerSize + 12); // startingFrom
  message.writeInt32LE(1, headerSize + 16); // numberReturned
  body.copy(message, fixed);
  return message;
}

export function encodeOpMsg(responseTo: number, document: Document): Buffer {
  const body = serialize(document);
  const fixed = headerSize + 5;
  const message = Buffer.alloc(fixed + body.length);
  writeHeader(message, message.length, takeRequestId(), responseTo, OpCode.Msg);
  message.writeUInt32LE(0, headerSize); // flagBits
  message.writeUInt8(0, headerSize + 4); // section kind 0
  body.copy(message, fixed);
  return message;
}

/** Messages at least this long are gathered into one buffer of their own as they arrive. */
const assembleAtBytes = 64 * 1024;

/**
 * Splits a TCP byte stream into complete wire messages, one at a time, so the connection can stop
 * taking messages while its replies wait to be sent. `maxLength` is asked each time a new
 * message starts: it is small until a connection has logged in. A length outside 16 bytes to
 * that limit throws, and the connection must then be closed: the stream can't be resynchronised.
 *
 * A large message is copied, as it arrives, into one buffer of its declared length; the socket's
 * chunks are let go at once. Memory the operating system hands out for such a buffer is only
 * committed as it is written, and goes back to it when the buffer is freed.
 */
export class MessageFramer {
  #chunks: Buffer[] = [];
  #chunkBytes = 0;
  #assembly: { message: Buffer; filled: number } | undefined;

  constructor(private readonly maxLength: () => number) {}

  /** Bytes received and held: a message in progress and any that wait to be taken. */
  get bufferedBytes(): number {
    return this.#chunkBytes + (this.#assembly?.filled ?? 0);
  }

  push(chunk: Buffer): void {
    let rest = chunk;
    const assembly = this.#assembly;
    if (assembly) {
      const taken = Math.min(rest.length, assembly.message.length - assembly.filled);
      rest.copy(assembly.message, assembly.filled, 0, taken);
      assembly.filled += taken;
      rest = rest.subarray(taken);
    }
    if (rest.length > 0) {
      this.#chunks.push(rest);
      this.#chunkBytes += rest.length;
    }
  }

  /** The next complete message, or undefined until more bytes arrive. */
  next(): Buffer | undefined {
    const assembly = this.#assembly;
    if (assembly) {
      if (assembly.filled < assembly.message.length) return undefined;
      this.#assembly = undefined;
      return assembly.message;
    }
    if (this.#chunkBytes < 4) return undefined;
    const length = this.#peek(4).readInt32LE(0);
    if (length < headerSize || length > this.maxLength()) {
      throw new ProtocolError(`invalid message length ${length}`);
    }
    if (this.#chunkBytes >= length) return this.#take(length);
    if (length >= assembleAtBytes) this.#startAssembly(length);
    return undefined;
  }

  #startAssembly(length: number): void {
    const message = Buffer.allocUnsafe(length);
    let filled = 0;
    for (const chunk of this.#chunks) filled += chunk.copy(message, filled);
    this.#chunks = [];
    this.#chunkBytes = 0;
    this.#assembly = { message, filled };
  }

  #peek(size: number): Buffer {
    const first = this.#chunks[0];
    if (first && first.length >= size) return first;
    const joined = Buffer.concat(this.#chunks);
    this.#chunks = [joined];
    return joined;
  }

  #take(size: number): Buffer {
    const joined = this.#peek(size);
    const message = joined.subarray(0, size);
    const rest = joined.subarray(size);
    this.#chunks = rest.length > 0 ? [rest] : [];
    this.#chunkBytes -= size;
    return message;
  }
}
