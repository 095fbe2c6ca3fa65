import { BSON, type Document } from 'bson';
import type { BsonDocument } from './bson-values';

// Framing for the three opcodes a modern driver uses: the legacy OP_QUERY handshake (answered with
// OP_REPLY) and OP_MSG for everything else.
// https://www.mongodb.com/docs/manual/reference/mongodb-wire-protocol/

export const OpCode = { Reply: 1, Query: 2004, Compressed: 2012, Msg: 2013 } as const;

const headerSize = 16;
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

function serialize(document: Document): Buffer {
  const bytes = BSON.serialize(document);
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

/** Splits a TCP byte stream into complete wire messages. */
export class MessageFramer {
  #chunks: Buffer[] = [];
  #buffered = 0;

  push(chunk: Buffer): Buffer[] {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    const messages: Buffer[] = [];
    while (this.#buffered >= 4) {
      const head = this.#peek(4);
      const length = head.readInt32LE(0);
      if (length < headerSize || length > maxMessageSizeBytes) {
        throw new ProtocolError(`invalid message length ${length}`);
      }
      if (this.#buffered < length) break;
      messages.push(this.#take(length));
    }
    return messages;
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
    this.#buffered -= size;
    return message;
  }
}
