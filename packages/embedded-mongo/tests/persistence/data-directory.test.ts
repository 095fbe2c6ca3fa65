import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Double, Int32, Long, MongoClient, MongoServerError } from 'mongodb';
import { startWireServer, type WireServer, type WireServerOptions } from '../../src';
import { type TestDocument } from '../conformance/conformance-helpers';
import { temporaryDirectory } from '../helpers/server-process';

// The data directory in-process: what a real-process crash test cannot observe (fsync calls,
// journal failures) and damage of every kind, done to copies of a live directory.

const lockFile = (dbPath: string) => path.join(dbPath, 'wire-server.lock');
const journalFile = (dbPath: string) => path.join(dbPath, 'wire-journal.bson');
const snapshotFile = (dbPath: string) => path.join(dbPath, 'wire-snapshot.bson');

describe('startWireServer with a dbPath', () => {
  const servers: WireServer[] = [];
  const clients: MongoClient[] = [];
  const directories: string[] = [];
  let messages: string[] = [];

  function newDirectory(label: string): string {
    const directory = temporaryDirectory(label);
    directories.push(directory);
    return directory;
  }

  async function open(
    dbPath: string,
    options: WireServerOptions = {},
  ): Promise<{ server: WireServer; client: MongoClient }> {
    const server = await startWireServer({
      dbPath,
      log: (line) => messages.push(line),
      ...options,
    });
    servers.push(server);
    const client = await MongoClient.connect(server.uri);
    clients.push(client);
    return { server, client };
  }

  /**
   * What the disk would hold had the process died now: a copy of the files, without the lock
   * (whose pid, ours, is alive). Everything acknowledged is in the journal, in the OS's hands.
   */
  function crashImage(dbPath: string): string {
    const image = newDirectory('image');
    for (const name of fs.readdirSync(dbPath)) {
      if (name !== 'wire-server.lock')
        fs.copyFileSync(path.join(dbPath, name), path.join(image, name));
    }
    return image;
  }

  beforeEach(() => {
    messages = [];
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await Promise.all(clients.splice(0).map((client) => client.close(true)));
    await Promise.all(servers.splice(0).map((server) => server.stop()));
    for (const directory of directories.splice(0))
      fs.rmSync(directory, { recursive: true, force: true });
  });

  it('keeps documents, their number types, collections and indexes across a stop and start', async () => {
    const dbPath = newDirectory('round-trip');
    const first = await open(dbPath);
    const db = first.client.db('app');
    await db.createCollection('things', { validationLevel: 'moderate' });
    await db
      .collection<TestDocument>('things')
      .createIndex({ name: 1 }, { unique: true, name: 'by_name' });
    await db.collection<TestDocument>('things').insertOne({
      _id: 1,
      name: 'a',
      int: new Int32(7),
      double: new Double(7),
      long: Long.fromNumber(7),
    });
    const [before] = await db.listCollections({ name: 'things' }).toArray();
    await first.client.close();
    await first.server.stop();
    expect(fs.existsSync(lockFile(dbPath))).toBe(false);

    const second = await open(dbPath);
    const dbAgain = second.client.db('app');
    expect(await dbAgain.listCollections({ name: 'things' }).toArray()).toEqual([before]);
    expect(await dbAgain.collection<TestDocument>('things').indexExists('by_name')).toBe(true);
    for (const field of ['int', 'double', 'long']) {
      expect(
        await dbAgain
          .collection<TestDocument>('things')
          .countDocuments({ [field]: { $type: field } }),
      ).toBe(1);
    }
  });

  it('writes a snapshot and empties the journal when it stops', async () => {
    const dbPath = newDirectory('stop');
    const { server, client } = await open(dbPath);
    await client
      .db('app')
      .collection<TestDocument>('items')
      .insertMany([{ _id: 1 }, { _id: 2 }]);
    const journalWhileRunning = fs.statSync(journalFile(dbPath)).size;
    expect(fs.existsSync(snapshotFile(dbPath))).toBe(false);
    await client.close();
    await server.stop();
    expect(fs.existsSync(snapshotFile(dbPath))).toBe(true);
    expect(fs.statSync(journalFile(dbPath)).size).toBeLessThan(journalWhileRunning);
  });

  it.each([
    ['j: true', { j: true }],
    ['w: "majority"', { w: 'majority' as const }],
    ['fsync: true', { fsync: true }],
  ])('flushes the journal to disk before answering a write with %s', async (_label, concern) => {
    // A timer that never fires in this test: only the write concern can cause a flush.
    const { client } = await open(newDirectory('sync'), { journalSyncIntervalMs: 3_600_000 });
    const items = client.db('app').collection<TestDocument>('items');
    const flushes = jest.spyOn(fs, 'fdatasyncSync');
    await items.insertOne({ _id: 1 });
    expect(flushes).not.toHaveBeenCalled();
    await items.insertOne({ _id: 2 }, { writeConcern: concern });
    expect(flushes).toHaveBeenCalledTimes(1);
  });

  it('flushes acknowledged writes to disk on its timer', async () => {
    const { client } = await open(newDirectory('timer'), { journalSyncIntervalMs: 20 });
    let flushed = 0;
    const original = fs.fdatasync;
    jest.spyOn(fs, 'fdatasync').mockImplementation((fd, callback) => {
      flushed++;
      original(fd, callback);
    });
    await client.db('app').collection<TestDocument>('items').insertOne({ _id: 1 });
    while (flushed === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(flushed).toBeGreaterThan(0);
  });

  it('refuses a second server on the same directory, in the same process too', async () => {
    const dbPath = newDirectory('second');
    const first = await open(dbPath);
    await expect(startWireServer({ dbPath, log: () => undefined })).rejects.toThrow(
      `the data directory ${dbPath} is in use by process ${process.pid}`,
    );
    await first.server.stop();
    await expect(open(dbPath)).resolves.toBeDefined();
  });

  it.each([
    [
      'the pid of a process that has exited',
      () => `${spawnSync(process.execPath, ['-e', '']).pid}\n`,
    ],
    ['no pid at all', () => 'garbage'],
    ['nothing', () => ''],
  ])('takes over a lock file that holds %s, and says so', async (_label, content) => {
    const dbPath = newDirectory('stale');
    fs.writeFileSync(lockFile(dbPath), content());
    await open(dbPath);
    expect(messages).toEqual([expect.stringContaining(`taking over ${lockFile(dbPath)}`)]);
    expect(fs.readFileSync(lockFile(dbPath), 'utf8')).toBe(`${process.pid}\n`);
  });

  describe('after a crash, with damage at the end of the journal', () => {
    const damages: [string, (file: string) => void][] = [
      ['the last record cut short', (file) => fs.truncateSync(file, fs.statSync(file).size - 1)],
      ['only part of a record header', (file) => fs.appendFileSync(file, Buffer.from([9, 0, 0]))],
      ['a zero-filled tail', (file) => fs.appendFileSync(file, Buffer.alloc(64))],
      [
        'a last record whose checksum fails',
        (file) => {
          const bytes = fs.readFileSync(file);
          bytes[bytes.length - 2] = (bytes[bytes.length - 2] ?? 0) ^ 0xff;
          fs.writeFileSync(file, bytes);
        },
      ],
    ];

    it.each(damages)('with %s, loads every record before it', async (label, damage) => {
      const dbPath = newDirectory('damage');
      const live = await open(dbPath);
      const items = live.client.db('app').collection<TestDocument>('items');
      await items.insertOne({ _id: 1 });
      await items.insertOne({ _id: 2, note: 'the last write' });
      const image = crashImage(dbPath);
      damage(journalFile(image));

      const restarted = await open(image);
      const ids = (
        await restarted.client.db('app').collection<TestDocument>('items').find().toArray()
      ).map((document) => document._id);
      // Damage inside the last record loses that record; damage after it loses nothing.
      const survivors = label.includes('last record') ? [1] : [1, 2];
      expect(ids).toEqual(survivors);
      expect(messages).toEqual([expect.stringContaining('a record cut short by a crash')]);

      // The damage was cut off: a write after it is not hidden behind it at the next start.
      await restarted.client.db('app').collection<TestDocument>('items').insertOne({ _id: 3 });
      const next = await open(crashImage(image));
      const after = await next.client.db('app').collection('items').find().toArray();
      expect(after.map((document) => document._id)).toEqual([...survivors, 3]);
    });
  });

  it('after a crash between a checkpoint and the emptying of the journal, replays nothing twice', async () => {
    const dbPath = newDirectory('half-checkpoint');
    const live = await open(dbPath);
    const items = live.client.db('app').collection<TestDocument>('items');
    await items.createIndex({ name: 1 }, { unique: true });
    await items.insertMany([
      { _id: 1, name: 'one' },
      { _id: 2, name: 'two' },
    ]);
    await items.updateOne({ _id: 1 }, { $set: { name: 'uno' } });
    const journalBeforeCheckpoint = crashImage(dbPath);
    live.server.checkpoint();
    // The new snapshot beside the journal it replaces, as if the truncation never reached disk.
    const image = crashImage(dbPath);
    fs.copyFileSync(journalFile(journalBeforeCheckpoint), journalFile(image));

    const restarted = await open(image);
    expect(await restarted.client.db('app').collection('items').find().toArray()).toEqual([
      { _id: 1, name: 'uno' },
      { _id: 2, name: 'two' },
    ]);
  });

  it('refuses to start on a damaged snapshot, saying which file', async () => {
    const dbPath = newDirectory('bad-snapshot');
    const first = await open(dbPath);
    await first.client.db('app').collection<TestDocument>('items').insertOne({ _id: 1 });
    await first.server.stop();
    fs.truncateSync(snapshotFile(dbPath), fs.statSync(snapshotFile(dbPath)).size - 10);
    await expect(startWireServer({ dbPath })).rejects.toThrow(
      `cannot load the data directory ${dbPath}: ${snapshotFile(dbPath)} is damaged`,
    );
    // The failed start let the directory go.
    expect(fs.existsSync(lockFile(dbPath))).toBe(false);
  });

  it('refuses a journal whose snapshot is gone rather than loading half the data', async () => {
    const dbPath = newDirectory('lost-snapshot');
    const live = await open(dbPath);
    await live.client.db('app').collection<TestDocument>('items').insertOne({ _id: 1 });
    live.server.checkpoint();
    await live.client.db('app').collection<TestDocument>('items').insertOne({ _id: 2 });
    const image = crashImage(dbPath);
    fs.rmSync(snapshotFile(image));
    await expect(startWireServer({ dbPath: image })).rejects.toThrow('changes are missing');
  });

  it('refuses a directory whose journal is some other file, and leaves the file alone', async () => {
    const dbPath = newDirectory('foreign');
    const foreign = 'not a journal at all, but some file that happens to have its name. '.repeat(3);
    fs.writeFileSync(journalFile(dbPath), foreign);
    await expect(startWireServer({ dbPath })).rejects.toThrow(
      `${journalFile(dbPath)} does not start like a wire server journal`,
    );
    expect(fs.readFileSync(journalFile(dbPath), 'utf8')).toBe(foreign);
  });

  it('takes a journal whose header a crash cut short for an empty one', async () => {
    const dbPath = newDirectory('torn-header');
    const live = await open(dbPath);
    const image = crashImage(dbPath);
    await live.server.stop();
    fs.truncateSync(journalFile(image), 20);
    const { client } = await open(image);
    await client.db('app').collection<TestDocument>('items').insertOne({ _id: 1 });
    expect(messages).toEqual([expect.stringContaining('a record cut short by a crash')]);
  });

  it('when the journal cannot be written, fails that write and refuses everything after it', async () => {
    const dbPath = newDirectory('failing');
    const { server, client } = await open(dbPath);
    const items = client.db('app').collection<TestDocument>('items');
    await items.insertOne({ _id: 1 });
    const writeSync = fs.writeSync;
    jest.spyOn(fs, 'writeSync').mockImplementation((...args: Parameters<typeof fs.writeSync>) => {
      const [, buffer] = args;
      if (Buffer.isBuffer(buffer) && buffer.includes('disk-full-marker')) {
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), {
          code: 'ENOSPC',
        });
      }
      return writeSync(...args);
    });

    const failure = await items
      .insertOne({ _id: 2, note: 'disk-full-marker' })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(MongoServerError);
    expect(failure).toMatchObject({ code: 1, codeName: 'InternalError' });
    expect((failure as Error).message).toContain('could not write its journal (ENOSPC');
    // Memory may hold the failed write; no client gets to see it, or to write more.
    await expect(items.findOne({ _id: 1 })).rejects.toMatchObject({ codeName: 'InternalError' });
    await expect(items.insertOne({ _id: 3 })).rejects.toMatchObject({ codeName: 'InternalError' });
    jest.restoreAllMocks();
    await client.close();
    await server.stop();

    const restarted = await open(dbPath);
    expect(
      await restarted.client.db('app').collection<TestDocument>('items').find().toArray(),
    ).toEqual([{ _id: 1 }]);
  });
});
