import { MongoClient } from 'mongodb';
import { startWireServer, type WireServer } from '../../src';
import { bson, command, connectRaw, message, opMsgBody, send } from '../helpers/raw-wire';

// What mongod refuses, this server refuses too, without crashing and without holding on to
// memory: each hostile input gets an error reply or a closed connection, and a well-behaved
// client on another connection carries on.

const megabyte = 1024 * 1024;

let server: WireServer;
let client: MongoClient;

beforeAll(async () => {
  server = await startWireServer();
  client = await MongoClient.connect(server.uri);
  await client.db('hostile').collection<{ _id: string }>('kept').insertOne({ _id: 'still here' });
});
afterAll(async () => {
  await client.close();
  await server.stop();
});

async function otherClientsCarryOn(): Promise<void> {
  await expect(client.db('hostile').command({ ping: 1 })).resolves.toEqual({ ok: 1 });
  await expect(client.db('hostile').collection('kept').countDocuments()).resolves.toBe(1);
}

function header(length: number, opCode = 2013): Buffer {
  const bytes = Buffer.alloc(16);
  bytes.writeInt32LE(length, 0);
  bytes.writeInt32LE(1, 4);
  bytes.writeInt32LE(opCode, 12);
  return bytes;
}

describe('bytes that close the connection', () => {
  it.each([
    ['a length over 48 MB (maxMessageSizeBytes)', header(48_000_001)],
    ['a length below the 16-byte header', header(8)],
    ['a negative length', header(-1)],
    ['an opcode that does not exist', message(opMsgBody(bson({ ping: 1 })), 9999)],
    ['a legacy OP_INSERT', message(Buffer.alloc(32), 2002)],
    ['OP_COMPRESSED, which the server never offers', message(Buffer.alloc(32), 2012)],
  ])('%s closes that connection only', async (_label, bytes) => {
    const connection = await connectRaw(server.port);
    await expect(send(connection, bytes)).resolves.toBe('closed');
    await otherClientsCarryOn();
  });
});

describe('bytes that get an error reply', () => {
  it('answers a body that is not valid BSON with InvalidBSON (22)', async () => {
    const document = bson({ ping: 1, $db: 'hostile', s: 'ab' });
    document[document.indexOf('ab')] = 0xff; // no longer UTF-8
    const connection = await connectRaw(server.port);
    await expect(send(connection, message(opMsgBody(document)))).resolves.toMatchObject({
      ok: 0,
      code: 22,
      codeName: 'InvalidBSON',
    });
    // The stream is still in step: the same connection goes on working.
    await expect(send(connection, command({ ping: 1, $db: 'hostile' }))).resolves.toEqual({
      ok: 1,
    });
    connection.socket.destroy();
    await otherClientsCarryOn();
  });

  it('answers a BSON length larger than what follows with FailedToParse (9)', async () => {
    const document = bson({ ping: 1, $db: 'hostile' });
    document.writeInt32LE(document.length + 100, 0);
    const connection = await connectRaw(server.port);
    await expect(send(connection, message(opMsgBody(document)))).resolves.toMatchObject({
      ok: 0,
      code: 9,
    });
    connection.socket.destroy();
    await otherClientsCarryOn();
  });

  it('answers a document over 16 MB + 16 KB with BSONObjectTooLarge (10334)', async () => {
    const document = bson({ ping: 1, $db: 'hostile', padding: 'x'.repeat(17 * megabyte) });
    const connection = await connectRaw(server.port);
    const reply = await send(connection, message(opMsgBody(document)));
    expect(reply).toMatchObject({ ok: 0, code: 10334, codeName: 'BSONObjectTooLarge' });
    connection.socket.destroy();
    await otherClientsCarryOn();
  });

  it('refuses to store a document over 16 MB (BadValue, 2), and stores nothing', async () => {
    const big = bson({ _id: 'big', padding: 'x'.repeat(16 * megabyte) });
    const body = opMsgBody(bson({ insert: 'big', $db: 'hostile' }), [['documents', [big]]]);
    const connection = await connectRaw(server.port);
    const reply = await send(connection, message(body));
    expect(reply).toMatchObject({ ok: 1, n: 0 });
    expect(reply).toHaveProperty('writeErrors.0.code', 2);
    expect(reply).toHaveProperty(
      'writeErrors.0.errmsg',
      expect.stringMatching(
        /^object to insert too large\. size in bytes: \d+, max size: 16777216$/,
      ),
    );
    connection.socket.destroy();
    await expect(client.db('hostile').collection('big').countDocuments()).resolves.toBe(0);
    await otherClientsCarryOn();
  });
});

describe('connection limits', () => {
  let limited: WireServer;
  afterEach(async () => {
    await limited.stop();
  });

  it('closes the connection past maxIncomingConnections at once, and takes one again later', async () => {
    limited = await startWireServer({ maxIncomingConnections: 3 });
    const open = await Promise.all([1, 2, 3].map(() => connectRaw(limited.port)));
    const extra = await connectRaw(limited.port);
    await extra.closed;
    for (const connection of open) {
      await expect(send(connection, command({ ping: 1, $db: 'a' }))).resolves.toEqual({ ok: 1 });
    }
    open[0]?.socket.destroy();
    // The server learns of that close a moment later; until then a newcomer is still one too many.
    let answer: unknown = 'closed';
    while (answer === 'closed') {
      answer = await send(await connectRaw(limited.port), command({ ping: 1, $db: 'a' }));
    }
    expect(answer).toEqual({ ok: 1 });
  });

  it('closes a connection that completes no message within the idle timeout', async () => {
    limited = await startWireServer({ idleTimeoutMs: 500 });
    const silent = await connectRaw(limited.port);
    const partial = await connectRaw(limited.port);
    partial.socket.write(header(1_000).subarray(0, 16)); // promises 1,000 bytes, sends 16
    const busy = await connectRaw(limited.port);
    let busyAnswers = 0;
    const closedOrder: string[] = [];
    void silent.closed.then(() => closedOrder.push('silent'));
    void partial.closed.then(() => closedOrder.push('partial'));
    // A connection that keeps sending messages keeps its place meanwhile.
    while (closedOrder.length < 2) {
      await expect(send(busy, command({ ping: 1, $db: 'a' }))).resolves.toEqual({ ok: 1 });
      busyAnswers++;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(closedOrder.sort()).toEqual(['partial', 'silent']);
    expect(busyAnswers).toBeGreaterThan(1);
    await expect(send(busy, command({ ping: 1, $db: 'a' }))).resolves.toEqual({ ok: 1 });
  });

  it('lets a driver whose idle connections were closed carry on without an error', async () => {
    limited = await startWireServer({ idleTimeoutMs: 200, auth: true });
    // A heartbeat slower than the idle timeout: the monitor's connection is closed too.
    const driver = await MongoClient.connect(limited.uri, { heartbeatFrequencyMS: 60_000 });
    try {
      const collection = driver.db('idle').collection('documents');
      await collection.insertOne({ a: 1 });
      for (let round = 0; round < 3; round++) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        await expect(collection.countDocuments()).resolves.toBe(1);
      }
    } finally {
      await driver.close();
    }
  });

  it('closes the connection whose bytes would pass maxBufferedBytes, and no other', async () => {
    limited = await startWireServer({ maxBufferedBytes: megabyte });
    const pair = await Promise.all([connectRaw(limited.port), connectRaw(limited.port)]);
    // Each sends 600 KB of a 900 KB message: together more than the 1 MB budget.
    const whole = command({ ping: 1, $db: 'a', padding: 'x'.repeat(900 * 1024) });
    for (const connection of pair) connection.socket.write(whole.subarray(0, 600 * 1024));
    const loser = await Promise.race(
      pair.map((connection) => connection.closed.then(() => connection)),
    );
    const survivor = pair.find((connection) => connection !== loser);
    if (!survivor) throw new Error('both connections closed');
    // The other keeps its place, and its bytes, and may finish its message.
    await expect(send(survivor, whole.subarray(600 * 1024))).resolves.toEqual({ ok: 1 });
    const other = await connectRaw(limited.port);
    await expect(send(other, command({ ping: 1, $db: 'a' }))).resolves.toEqual({ ok: 1 });
  });
});
