import fs from 'node:fs';
import path from 'node:path';
import {
  Decimal128,
  Double,
  Int32,
  Long,
  MongoClient,
  MongoServerError,
  type Document,
} from 'mongodb';
import {
  freePort,
  killHard,
  runCliToExit,
  startCheckpointingServer,
  startCliServer,
  stopCleanly,
  temporaryDirectory,
  type ServerProcess,
} from '../helpers/server-process';
import { type TestDocument } from '../conformance/conformance-helpers';

// Real processes: the CLI is started on a data directory, written to through the driver, killed
// with SIGKILL (no flush, no checkpoint, no unlock), and started again on the same directory.
jest.setTimeout(90_000);

const journalFile = (dbPath: string) => path.join(dbPath, 'wire-journal.bson');
const snapshotFile = (dbPath: string) => path.join(dbPath, 'wire-snapshot.bson');

/** Everything a client can see: databases, collections with options and UUIDs, indexes, data. */
async function everything(client: MongoClient): Promise<Document> {
  const { databases } = await client.db('admin').admin().listDatabases({ nameOnly: true });
  const names = databases.map((database) => database.name).sort();
  const seen: Document = {};
  for (const name of names) {
    const db = client.db(name);
    const collections = await db.listCollections().toArray();
    collections.sort((left, right) => left.name.localeCompare(right.name));
    seen[name] = await Promise.all(
      collections.map(async (collection) => ({
        collection,
        indexes: await db.collection<TestDocument>(collection.name).listIndexes().toArray(),
        // Natural order, and numbers as their BSON types (int, double, long, decimal).
        documents: await db
          .collection<TestDocument>(collection.name)
          .find({}, { promoteValues: false })
          .toArray(),
      })),
    );
  }
  return seen;
}

/** Writes of every kind the journal records, each acknowledged before the next. */
async function writeEverything(client: MongoClient): Promise<void> {
  const app = client.db('app');
  await app.createCollection('events', { validationLevel: 'moderate' });
  const users = app.collection<TestDocument>('users');
  await users.createIndexes([
    { key: { email: 1 }, unique: true },
    {
      key: { team: 1, handle: 1 },
      unique: true,
      partialFilterExpression: { handle: { $exists: true } },
    },
    { key: { nickname: 1 }, unique: true, sparse: true },
    { key: { expiresAt: 1 }, expireAfterSeconds: 3600 },
    { key: { scratch: 1 } },
  ]);
  await users.insertMany([
    {
      email: 'ada@example.com',
      team: 't',
      handle: 'ada',
      visits: new Int32(1),
      score: new Double(2),
      big: Long.fromString('9007199254740993'),
      price: Decimal128.fromString('9.99'),
      expiresAt: new Date(Date.now() + 3_600_000),
      tags: ['a', 'b'],
      nested: { deep: [{ x: 1 }] },
    },
    { email: 'bob@example.com', team: 't' },
    { email: 'cy@example.com' },
  ]);
  const visit: Document = {
    $inc: { visits: 1 },
    $set: { 'nested.deep.0.x': 2 },
    $push: { tags: 'c' },
  };
  await users.updateOne({ email: 'ada@example.com' }, visit);
  await users.replaceOne(
    { email: 'bob@example.com' },
    { email: 'bob@example.com', team: 't', nickname: 'bobby' },
  );
  await users.findOneAndUpdate({ email: 'cy@example.com' }, { $set: { handle: 'cy', team: 'u' } });
  await users.updateOne({ email: 'dee@example.com' }, { $set: { team: 'u' } }, { upsert: true });
  await users.insertOne({ email: 'gone@example.com' });
  await users.deleteOne({ email: 'gone@example.com' });
  await users.dropIndex('scratch_1');
  const sessions = app.collection<TestDocument>('sessions');
  await sessions.insertMany(
    Array.from({ length: 500 }, (_, index) => ({ _id: index, live: false })),
  );
  await sessions.deleteMany({ _id: { $gte: 250 } });
  await sessions.updateMany({}, { $set: { live: true } });
  await app.collection<TestDocument>('temporary').insertOne({ a: 1 });
  await app.collection<TestDocument>('temporary').drop();
  await client.db('scratch').collection<TestDocument>('x').insertOne({ a: 1 });
  await client.db('scratch').dropDatabase();
  await client.db('archive').createCollection('empty');
}

async function duplicateKeyCode(write: Promise<unknown>): Promise<number | undefined> {
  try {
    await write;
    return undefined;
  } catch (error) {
    if (error instanceof MongoServerError) return error.code as number;
    throw error;
  }
}

describe('a wire server with --dbpath, killed with SIGKILL', () => {
  const running: ServerProcess[] = [];
  const clients: MongoClient[] = [];
  const directories: string[] = [];

  async function start(dbPath: string, port: number): Promise<MongoClient> {
    const server = await startCliServer(dbPath, port);
    running.push(server);
    const client = await MongoClient.connect(server.uri);
    clients.push(client);
    return client;
  }

  function lastServer(): ServerProcess {
    const server = running.at(-1);
    if (!server) throw new Error('no server started');
    return server;
  }

  function dataDirectory(label: string): string {
    const directory = temporaryDirectory(label);
    directories.push(directory);
    return directory;
  }

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close(true)));
    await Promise.all(running.splice(0).map(killHard));
    for (const directory of directories.splice(0))
      fs.rmSync(directory, { recursive: true, force: true });
  });

  it('finds every acknowledged write, collection, index and unique rule after a restart', async () => {
    const dbPath = dataDirectory('crash');
    const port = await freePort();
    const before = await start(dbPath, port);
    await writeEverything(before);
    const expected = await everything(before);
    await killHard(lastServer());

    const after = await start(dbPath, port);
    expect(lastServer().stderr()).toContain('is no longer running');
    expect(await everything(after)).toEqual(expected);

    const users = after.db('app').collection<TestDocument>('users');
    expect(await duplicateKeyCode(users.insertOne({ email: 'ada@example.com' }))).toBe(11000);
    // The partial unique index covers documents with a handle only.
    expect(
      await duplicateKeyCode(users.insertOne({ email: 'x@example.com', team: 't', handle: 'ada' })),
    ).toBe(11000);
    expect(await duplicateKeyCode(users.insertOne({ email: 'y@example.com', team: 't' }))).toBe(
      undefined,
    );
    // The sparse unique index skips documents without a nickname.
    expect(
      await duplicateKeyCode(users.insertOne({ email: 'z@example.com', nickname: 'bobby' })),
    ).toBe(11000);
    expect(await duplicateKeyCode(users.insertOne({ email: 'w@example.com' }))).toBe(undefined);
  });

  it('ignores a torn last journal record, and keeps the writes made after it', async () => {
    const dbPath = dataDirectory('torn');
    const port = await freePort();
    const first = await start(dbPath, port);
    const items = first.db('app').collection<TestDocument>('items');
    await items.insertOne({ _id: 1 });
    await items.insertOne({ _id: 2 });
    await killHard(lastServer());
    // A crash in the middle of writing the last record: its last bytes never reached the file.
    const { size } = fs.statSync(journalFile(dbPath));
    fs.truncateSync(journalFile(dbPath), size - 3);

    const second = await start(dbPath, port);
    expect(lastServer().stderr()).toContain('a record cut short by a crash');
    const itemsAgain = second.db('app').collection<TestDocument>('items');
    expect(await itemsAgain.find().toArray()).toEqual([{ _id: 1 }]);
    await itemsAgain.insertOne({ _id: 3 });
    await killHard(lastServer());

    const third = await start(dbPath, port);
    const itemsAtLast = third.db('app').collection<TestDocument>('items');
    expect(await itemsAtLast.find().toArray()).toEqual([{ _id: 1 }, { _id: 3 }]);
  });

  it('refuses a second process on the same directory, naming the first', async () => {
    const dbPath = dataDirectory('locked');
    const client = await start(dbPath, await freePort());
    await client.db('app').collection<TestDocument>('items').insertOne({ _id: 1 });

    const second = await runCliToExit(dbPath, await freePort());
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(
      `the data directory ${dbPath} is in use by process ${lastServer().child.pid}`,
    );
    // The first server is untouched, lock and data.
    expect(fs.readFileSync(path.join(dbPath, 'wire-server.lock'), 'utf8').trim()).toBe(
      String(lastServer().child.pid),
    );
    expect(await client.db('app').collection<TestDocument>('items').find().toArray()).toEqual([
      { _id: 1 },
    ]);
  });

  it('still sweeps TTL indexes after a restart, and the sweep is journaled too', async () => {
    const dbPath = dataDirectory('ttl');
    const port = await freePort();
    const first = await start(dbPath, port);
    const tokens = first.db('app').collection<TestDocument>('tokens');
    await tokens.createIndex({ createdAt: 1 }, { expireAfterSeconds: 60 });
    await tokens.insertMany([
      { _id: 'old', createdAt: new Date(Date.now() - 3_600_000) },
      { _id: 'new', createdAt: new Date() },
    ]);
    await killHard(lastServer());

    const second = await start(dbPath, port);
    const tokensAgain = second.db('app').collection<TestDocument>('tokens');
    expect(await tokensAgain.countDocuments()).toBe(2);
    await second.db('admin').command({ setParameter: 1, ttlMonitorSleepSecs: 1 });
    const deadline = Date.now() + 20_000;
    while ((await tokensAgain.countDocuments({ _id: 'old' })) > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await tokensAgain.find().project({ _id: 1 }).toArray()).toEqual([{ _id: 'new' }]);
    await killHard(lastServer());

    const third = await start(dbPath, port);
    const tokensAtLast = third.db('app').collection<TestDocument>('tokens');
    expect(await tokensAtLast.find().project({ _id: 1 }).toArray()).toEqual([{ _id: 'new' }]);
  });

  it('after a checkpoint at a clean stop, then more writes, loses nothing', async () => {
    const dbPath = dataDirectory('checkpoint');
    const port = await freePort();
    const first = await start(dbPath, port);
    await first
      .db('app')
      .collection<TestDocument>('items')
      .insertMany([{ _id: 1 }, { _id: 2 }]);
    await first
      .db('app')
      .collection<TestDocument>('items')
      .createIndex({ name: 1 }, { unique: true, sparse: true });
    await first.close();
    expect(await stopCleanly(lastServer())).toBe(0);
    // The stop wrote a snapshot and left a journal with nothing but its header.
    expect(fs.existsSync(snapshotFile(dbPath))).toBe(true);
    expect(fs.existsSync(path.join(dbPath, 'wire-server.lock'))).toBe(false);
    const emptyJournalBytes = fs.statSync(journalFile(dbPath)).size;

    const second = await start(dbPath, port);
    expect(lastServer().stderr()).not.toContain('taking over');
    const items = second.db('app').collection<TestDocument>('items');
    await items.insertOne({ _id: 3, name: 'three' });
    await items.updateOne({ _id: 1 }, { $set: { name: 'one' } });
    await items.deleteOne({ _id: 2 });
    expect(fs.statSync(journalFile(dbPath)).size).toBeGreaterThan(emptyJournalBytes);
    await killHard(lastServer());

    const third = await start(dbPath, port);
    const itemsAtLast = third.db('app').collection<TestDocument>('items');
    expect(await itemsAtLast.find().toArray()).toEqual([
      { _id: 1, name: 'one' },
      { _id: 3, name: 'three' },
    ]);
    expect(await duplicateKeyCode(itemsAtLast.insertOne({ name: 'one' }))).toBe(11000);
  });

  it('after checkpoints set off by the journal size, then more writes, loses nothing', async () => {
    const dbPath = dataDirectory('auto-checkpoint');
    const port = await freePort();
    const server = await startCheckpointingServer(dbPath, port, 4096);
    running.push(server);
    const client = await MongoClient.connect(server.uri);
    clients.push(client);
    const counters = client.db('app').collection<TestDocument>('counters');
    await counters.createIndex({ n: 1 });
    const increment: Document = { $inc: { n: 1 } };
    for (let round = 0; round < 20; round++) {
      await counters.insertMany(
        Array.from({ length: 20 }, (_, index) => ({ _id: round * 20 + index, n: 0 })),
      );
      await counters.updateMany({ _id: { $lt: round * 20 } }, increment);
    }
    expect(fs.existsSync(snapshotFile(dbPath))).toBe(true);
    await counters.deleteMany({ _id: { $gte: 390 } });
    await killHard(server);

    const after = await start(dbPath, port);
    const documents = await after.db('app').collection<TestDocument>('counters').find().toArray();
    expect(documents).toEqual(
      Array.from({ length: 390 }, (_, id) => ({ _id: id, n: 19 - Math.floor(id / 20) })),
    );
    expect(await after.db('app').collection<TestDocument>('counters').indexExists('n_1')).toBe(
      true,
    );
  });
});
