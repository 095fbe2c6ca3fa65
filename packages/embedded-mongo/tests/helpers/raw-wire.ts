import net from 'node:net';
import { BSON, type Document } from 'bson';

// A client that writes whatever bytes a test wants on a socket of its own, to see what the
// server does with messages no driver would send.

export const opMsg = 2013;

/** A wire message: the 16-byte header (length filled in) followed by `body`. */
export function message(body: Buffer, opCode = opMsg, requestId = 1): Buffer {
  const header = Buffer.alloc(16);
  header.writeInt32LE(16 + body.length, 0);
  header.writeInt32LE(requestId, 4);
  header.writeInt32LE(0, 8);
  header.writeInt32LE(opCode, 12);
  return Buffer.concat([header, body]);
}

/** BSON bytes; the buffer is sized for the document, as js-bson's default stops at 17 MB. */
export function bson(document: Document): Buffer {
  BSON.setInternalBufferSize(BSON.calculateObjectSize(document));
  return Buffer.from(BSON.serialize(document));
}

/** OP_MSG flags, then a kind-0 section holding `body`, then any kind-1 document sequences. */
export function opMsgBody(body: Buffer, sequences: Array<[string, Buffer[]]> = []): Buffer {
  const parts = [Buffer.alloc(4), Buffer.from([0]), body];
  for (const [identifier, documents] of sequences) {
    const name = Buffer.from(`${identifier}\0`, 'utf8');
    const size = Buffer.alloc(4);
    size.writeInt32LE(4 + name.length + documents.reduce((sum, doc) => sum + doc.length, 0), 0);
    parts.push(Buffer.from([1]), size, name, ...documents);
  }
  return Buffer.concat(parts);
}

export function command(document: Document, requestId = 1): Buffer {
  return message(opMsgBody(bson(document)), opMsg, requestId);
}

export interface RawConnection {
  socket: net.Socket;
  /** Resolves with the next reply's body document, or rejects when the socket closes first. */
  reply(): Promise<Document>;
  /** Resolves when the server has closed the connection. */
  closed: Promise<void>;
}

export async function connectRaw(port: number): Promise<RawConnection> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.on('error', () => undefined);
  let received = Buffer.alloc(0);
  const waiting: Array<{ resolve: (doc: Document) => void; reject: (error: Error) => void }> = [];
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('data', (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
    while (received.length >= 4 && received.length >= received.readInt32LE(0)) {
      const length = received.readInt32LE(0);
      const frame = received.subarray(0, length);
      received = received.subarray(length);
      // OP_MSG reply: header, flags, section kind 0, then the document.
      waiting.shift()?.resolve(BSON.deserialize(frame.subarray(21)));
    }
  });
  void closed.then(() => {
    for (const pending of waiting.splice(0)) pending.reject(new Error('connection closed'));
  });
  return {
    socket,
    closed,
    reply: () => new Promise((resolve, reject) => waiting.push({ resolve, reject })),
  };
}

/** Sends `bytes` and waits for the reply, or for the connection to close ('closed'). */
export async function send(connection: RawConnection, bytes: Buffer): Promise<Document | 'closed'> {
  const reply = connection.reply();
  connection.socket.write(bytes);
  try {
    return await reply;
  } catch {
    return 'closed';
  }
}
