import { MongoClient, type Db } from 'mongodb';
import { testDatabase } from '../helpers/test-database';
import { captureServerError, connectClient, type TestDocument } from './conformance-helpers';

const { uri, dbName } = testDatabase('handshake');
let client: MongoClient;
let db: Db;

beforeAll(async () => {
  client = await connectClient(uri);
  db = client.db(dbName);
});

afterAll(async () => {
  await db.dropDatabase();
  await client.close();
});

describe('handshake', () => {
  it('hello describes a writable standalone: no setName, wire version 9 or later, sessions on', async () => {
    const reply = await db.admin().command({ hello: 1 });

    expect(reply).toMatchObject({
      ok: 1,
      isWritablePrimary: true,
      maxBsonObjectSize: 16 * 1024 * 1024,
      maxMessageSizeBytes: 48_000_000,
      maxWriteBatchSize: 100_000,
      minWireVersion: 0,
      readOnly: false,
    });
    expect(reply.setName).toBeUndefined();
    expect(reply.msg).toBeUndefined(); // 'isdbgrid' would mean mongos
    expect(reply.maxWireVersion).toBeGreaterThanOrEqual(9);
    expect(reply.logicalSessionTimeoutMinutes).toBeGreaterThan(0);
    expect(reply.localTime).toBeInstanceOf(Date);
    expect(typeof reply.connectionId).toBe('number');
  });

  it('a client that offers zlib compression still reads and writes', async () => {
    const compressing = await connectClient(uri, { compressors: ['zlib'] });
    try {
      const collection = compressing.db(dbName).collection<TestDocument>('compressed');
      const text = 'compressible '.repeat(2_000);
      await collection.insertOne({ _id: 'big', text });

      await expect(collection.findOne({ _id: 'big' })).resolves.toEqual({ _id: 'big', text });
    } finally {
      await compressing.close();
    }
  });

  it('a client that declares the Stable API (apiVersion 1) reads and writes', async () => {
    const declared = await connectClient(uri, { serverApi: { version: '1' } });
    try {
      const collection = declared.db(dbName).collection<TestDocument>('stable_api');
      await collection.insertOne({ _id: 'v1', ok: true });

      await expect(collection.findOne({ _id: 'v1' })).resolves.toEqual({ _id: 'v1', ok: true });
      await expect(declared.db(dbName).command({ ping: 1 })).resolves.toMatchObject({ ok: 1 });
    } finally {
      await declared.close();
    }
  });

  it("writes with w: 'majority' and j: true are acknowledged on a standalone", async () => {
    const collection = db.collection<TestDocument>('write_concern');

    const result = await collection.insertOne(
      { _id: 'durable' },
      { writeConcern: { w: 'majority', journal: true } },
    );

    expect(result.acknowledged).toBe(true);
    expect(await collection.countDocuments({ _id: 'durable' })).toBe(1);
  });

  it('the legacy isMaster spelling answers ismaster: true', async () => {
    const reply = await db.admin().command({ isMaster: 1 });

    expect(reply).toMatchObject({ ok: 1, ismaster: true });
    expect(reply.maxWireVersion).toBeGreaterThanOrEqual(9);
  });

  it('the driver classifies the server as a standalone in a single-server topology', async () => {
    const serverTypes: string[] = [];
    const topologyTypes: string[] = [];
    const observer = new MongoClient(uri, { serverSelectionTimeoutMS: 5_000 });
    observer.on('serverDescriptionChanged', (event) => serverTypes.push(event.newDescription.type));
    observer.on('topologyDescriptionChanged', (event) =>
      topologyTypes.push(event.newDescription.type),
    );
    try {
      await observer.connect();
      await observer.db(dbName).command({ ping: 1 });
    } finally {
      await observer.close();
    }

    expect(serverTypes).toContain('Standalone');
    expect(topologyTypes).toContain('Single');
  });

  it('ping answers ok: 1 on any database', async () => {
    await expect(db.command({ ping: 1 })).resolves.toMatchObject({ ok: 1 });
    await expect(db.admin().command({ ping: 1 })).resolves.toMatchObject({ ok: 1 });
  });

  it('buildInfo reports a version and a versionArray that agree', async () => {
    const reply = await db.admin().command({ buildInfo: 1 });

    expect(reply.ok).toBe(1);
    expect(reply.version).toMatch(/^\d+\.\d+\.\d+/);
    const [major, minor, patch] = String(reply.version).split(/[.-]/).map(Number);
    expect(Array.isArray(reply.versionArray)).toBe(true);
    expect((reply.versionArray as number[]).slice(0, 3)).toEqual([major, minor, patch]);
  });

  it('endSessions accepts the ids of sessions the client used', async () => {
    const session = client.startSession();
    await db.collection<TestDocument>('sessions_probe').findOne({}, { session });

    await expect(db.admin().command({ endSessions: [session.id] })).resolves.toMatchObject({
      ok: 1,
    });
    await session.endSession();
  });

  it('an unacknowledged write (moreToCome, w: 0) gets no reply but is applied', async () => {
    // One connection, so the find below is sent after the fire-and-forget insert on the same socket.
    const single = await connectClient(uri, { maxPoolSize: 1 });
    try {
      const collection = single.db(dbName).collection<TestDocument>('unacknowledged');
      const result = await collection.insertOne(
        { _id: 'fire-and-forget' },
        { writeConcern: { w: 0 } },
      );

      expect(result.acknowledged).toBe(false);
      await expect(collection.findOne({ _id: 'fire-and-forget' })).resolves.toEqual({
        _id: 'fire-and-forget',
      });
    } finally {
      await single.close();
    }
  });
});

describe('collections', () => {
  it('create makes an empty collection that listCollections reports as a collection', async () => {
    await db.createCollection('created');

    const listed = await db.listCollections({ name: 'created' }).toArray();
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ name: 'created', type: 'collection' });
    expect(await db.collection<TestDocument>('created').countDocuments()).toBe(0);
  });

  it('create on an existing collection with the same options succeeds and changes nothing', async () => {
    await db.collection<TestDocument>('existing').insertOne({ kept: true });

    await expect(db.command({ create: 'existing' })).resolves.toMatchObject({ ok: 1 });
    expect(await db.collection<TestDocument>('existing').countDocuments({ kept: true })).toBe(1);
  });

  it('create on an existing collection with different options fails with NamespaceExists (48)', async () => {
    await db.createCollection('existing_plain');

    const error = await captureServerError(
      db.command({ create: 'existing_plain', capped: true, size: 65536 }),
    );
    expect(error.code).toBe(48);
    expect(error.codeName).toBe('NamespaceExists');
  });

  it('listCollections with nameOnly returns names and types of every collection', async () => {
    const names = ['list_a', 'list_b'];
    for (const name of names) await db.collection<TestDocument>(name).insertOne({ name });

    const listed = await db.listCollections({}, { nameOnly: true }).toArray();
    const byName = new Map(listed.map((entry) => [entry.name, entry.type]));
    for (const name of names) expect(byName.get(name)).toBe('collection');
  });

  it('a collection name may contain dots', async () => {
    const archive = db.collection<TestDocument>('users.archive');
    await archive.insertOne({ _id: 'old' });
    await db.collection<TestDocument>('users').insertOne({ _id: 'current' });

    expect(await archive.find({}).toArray()).toEqual([{ _id: 'old' }]);
    const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map(
      (entry) => entry.name,
    );
    expect(names).toEqual(expect.arrayContaining(['users', 'users.archive']));
  });

  it('inserting into a missing collection creates it', async () => {
    await db.collection<TestDocument>('implicit').insertOne({ a: 1 });

    const listed = await db.listCollections({ name: 'implicit' }, { nameOnly: true }).toArray();
    expect(listed.map((entry) => entry.name)).toEqual(['implicit']);
  });

  it('drop removes the collection, its documents and its indexes', async () => {
    const collection = db.collection<TestDocument>('to_drop');
    await collection.insertMany([{ a: 1 }, { a: 2 }]);
    await collection.createIndex({ a: 1 });

    await expect(collection.drop()).resolves.toBe(true);

    expect(await db.listCollections({ name: 'to_drop' }).toArray()).toEqual([]);
    expect(await collection.countDocuments()).toBe(0);
  });

  it('drop of a collection that does not exist succeeds (mongod 7.0+)', async () => {
    await expect(db.command({ drop: 'never_created' })).resolves.toMatchObject({ ok: 1 });
  });

  it('dropDatabase removes every collection of that database and no other', async () => {
    const { dbName: otherName } = testDatabase('handshake_drop');
    const other = client.db(otherName);
    await other.collection<TestDocument>('one').insertOne({ a: 1 });
    await other.collection<TestDocument>('two').insertOne({ b: 2 });
    await db.collection<TestDocument>('survivor').insertOne({ here: true });

    await expect(other.dropDatabase()).resolves.toBe(true);

    expect(await other.listCollections().toArray()).toEqual([]);
    expect(await other.collection<TestDocument>('one').findOne({})).toBeNull();
    expect(await db.collection<TestDocument>('survivor').countDocuments()).toBe(1);
  });
});

describe('indexes', () => {
  it('a new collection has exactly the _id index', async () => {
    await db.createCollection('fresh_indexes');

    const indexes = await db.collection<TestDocument>('fresh_indexes').listIndexes().toArray();
    expect(indexes).toEqual([expect.objectContaining({ v: 2, key: { _id: 1 }, name: '_id_' })]);
  });

  it('createIndexes reports the index counts and names the index after its keys', async () => {
    await db.createCollection('with_index');

    const reply = await db.command({
      createIndexes: 'with_index',
      indexes: [{ key: { email: 1 }, name: 'email_1', unique: true }],
    });
    expect(reply).toMatchObject({ ok: 1, numIndexesBefore: 1, numIndexesAfter: 2 });

    await expect(
      db.collection<TestDocument>('with_index').createIndex({ tenant: 1, createdAt: -1 }),
    ).resolves.toBe('tenant_1_createdAt_-1');
  });

  it('listIndexes shows key, name and options of each index', async () => {
    const collection = db.collection<TestDocument>('described');
    await collection.createIndex({ email: 1 }, { unique: true });
    await collection.createIndex({ nickname: 1 }, { unique: true, sparse: true });
    await collection.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 3600 });
    await collection.createIndex(
      { handle: 1 },
      { unique: true, partialFilterExpression: { active: true }, name: 'active_handle' },
    );

    const indexes = await collection.listIndexes().toArray();
    const byName = new Map(indexes.map((index) => [index.name as string, index]));

    expect([...byName.keys()].sort()).toEqual(
      ['_id_', 'active_handle', 'email_1', 'expiresAt_1', 'nickname_1'].sort(),
    );
    expect(byName.get('email_1')).toMatchObject({ v: 2, key: { email: 1 }, unique: true });
    expect(byName.get('nickname_1')).toMatchObject({
      key: { nickname: 1 },
      unique: true,
      sparse: true,
    });
    expect(byName.get('expiresAt_1')).toMatchObject({
      key: { expiresAt: 1 },
      expireAfterSeconds: 3600,
    });
    expect(byName.get('active_handle')).toMatchObject({
      key: { handle: 1 },
      unique: true,
      partialFilterExpression: { active: true },
    });
    expect(byName.get('_id_')?.unique).toBeUndefined();
  });

  it('creating an identical index again is a no-op', async () => {
    const collection = db.collection<TestDocument>('idempotent_index');
    await collection.createIndex({ email: 1 }, { unique: true });

    const reply = await db.command({
      createIndexes: 'idempotent_index',
      indexes: [{ key: { email: 1 }, name: 'email_1', unique: true }],
    });

    expect(reply).toMatchObject({ ok: 1, numIndexesBefore: 2, numIndexesAfter: 2 });
    expect(await collection.listIndexes().toArray()).toHaveLength(2);
  });

  it('the same keys under another name fail with IndexOptionsConflict (85)', async () => {
    const collection = db.collection<TestDocument>('renamed_index');
    await collection.createIndex({ email: 1 });

    const error = await captureServerError(collection.createIndex({ email: 1 }, { name: 'other' }));
    expect(error.code).toBe(85);
    expect(error.codeName).toBe('IndexOptionsConflict');
  });

  it('another key pattern under an existing name fails with IndexKeySpecsConflict (86)', async () => {
    const collection = db.collection<TestDocument>('reused_name');
    await collection.createIndex({ email: 1 }, { name: 'lookup' });

    const error = await captureServerError(
      collection.createIndex({ phone: 1 }, { name: 'lookup' }),
    );
    expect(error.code).toBe(86);
    expect(error.codeName).toBe('IndexKeySpecsConflict');
  });

  it('a unique index cannot be built over existing duplicates (11000) and is not created', async () => {
    const collection = db.collection<TestDocument>('dirty');
    await collection.insertMany([{ email: 'same@example.com' }, { email: 'same@example.com' }]);

    const error = await captureServerError(collection.createIndex({ email: 1 }, { unique: true }));
    expect(error.code).toBe(11000);
    expect((await collection.listIndexes().toArray()).map((index) => index.name)).toEqual(['_id_']);
  });

  it('dropIndexes by name removes only that index', async () => {
    const collection = db.collection<TestDocument>('drop_one_index');
    await collection.createIndex({ a: 1 });
    await collection.createIndex({ b: 1 });

    await collection.dropIndex('a_1');

    const names = (await collection.listIndexes().toArray()).map((index) => index.name);
    expect(names.sort()).toEqual(['_id_', 'b_1']);
  });

  it("dropIndexes '*' removes every index but _id", async () => {
    const collection = db.collection<TestDocument>('drop_all_indexes');
    await collection.createIndex({ a: 1 });
    await collection.createIndex({ b: 1 }, { unique: true });

    await db.command({ dropIndexes: 'drop_all_indexes', index: '*' });

    const names = (await collection.listIndexes().toArray()).map((index) => index.name);
    expect(names).toEqual(['_id_']);
  });

  it('dropping an index that does not exist fails with IndexNotFound (27)', async () => {
    await db.createCollection('no_such_index');

    const error = await captureServerError(
      db.collection<TestDocument>('no_such_index').dropIndex('nope_1'),
    );
    expect(error.code).toBe(27);
    expect(error.codeName).toBe('IndexNotFound');
  });

  it('the _id index cannot be dropped (72 InvalidOptions)', async () => {
    await db.createCollection('keep_id_index');

    const error = await captureServerError(
      db.collection<TestDocument>('keep_id_index').dropIndex('_id_'),
    );
    expect(error.code).toBe(72);
    expect(error.codeName).toBe('InvalidOptions');
  });

  it('listIndexes on a collection that does not exist fails with NamespaceNotFound (26)', async () => {
    const error = await captureServerError(
      db.command({ listIndexes: 'missing_collection', cursor: {} }),
    );
    expect(error.code).toBe(26);
    expect(error.codeName).toBe('NamespaceNotFound');
  });
});
