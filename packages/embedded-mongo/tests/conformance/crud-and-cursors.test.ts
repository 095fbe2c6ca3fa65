import {
  Binary,
  Decimal128,
  Double,
  Int32,
  Long,
  ObjectId,
  type Collection,
  type Db,
  type Document,
  type Filter,
  type MongoClient,
} from 'mongodb';
import { testDatabase } from '../helpers/test-database';
import {
  captureServerError,
  connectClient,
  recordCommands,
  toBigInt,
  type CommandLog,
  type TestDocument,
} from './conformance-helpers';

const { uri, dbName } = testDatabase('crud');
let client: MongoClient;
let commands: CommandLog;
let db: Db;

beforeAll(async () => {
  client = await connectClient(uri, { monitorCommands: true });
  commands = recordCommands(client);
  db = client.db(dbName);
});

afterAll(async () => {
  await db.dropDatabase();
  await client.close();
});

beforeEach(() => commands.clear());

interface Person {
  _id: string;
  name: string;
  age?: number | null;
  tags?: string[];
  address?: { city: string; zip?: string };
  items?: { sku: string; qty: number }[];
  secret?: string;
}

const people: Person[] = [
  {
    _id: 'ann',
    name: 'Ann',
    age: 31,
    tags: ['admin', 'ops'],
    address: { city: 'Oslo', zip: '0150' },
    items: [{ sku: 'a', qty: 1 }],
    secret: 's1',
  },
  {
    _id: 'bob',
    name: 'Bob',
    age: 25,
    tags: ['dev'],
    address: { city: 'Bergen' },
    items: [
      { sku: 'b', qty: 5 },
      { sku: 'c', qty: 2 },
    ],
    secret: 's2',
  },
  { _id: 'cid', name: 'Cid', age: null, tags: [], address: { city: 'Oslo' }, secret: 's3' },
  { _id: 'dee', name: 'dee', tags: ['dev', 'ops'], secret: 's4' },
  { _id: 'eve', name: 'Eve', age: 42, items: [{ sku: 'b', qty: 1 }], secret: 's5' },
];

describe('insert', () => {
  it('insertOne stores the document and reports the driver-generated ObjectId', async () => {
    const collection = db.collection<TestDocument>('insert_one');

    const result = await collection.insertOne({ name: 'first' });

    expect(result.acknowledged).toBe(true);
    expect(result.insertedId).toBeInstanceOf(ObjectId);
    await expect(collection.findOne({ _id: result.insertedId })).resolves.toEqual({
      _id: result.insertedId,
      name: 'first',
    });
  });

  it('insertMany reports the count and the id of every document', async () => {
    const collection = db.collection<{ _id: number; n: number }>('insert_many');

    const result = await collection.insertMany([
      { _id: 1, n: 1 },
      { _id: 2, n: 2 },
      { _id: 3, n: 3 },
    ]);

    expect(result.insertedCount).toBe(3);
    expect(result.insertedIds).toEqual({ 0: 1, 1: 2, 2: 3 });
    expect(await collection.countDocuments()).toBe(3);
  });

  it('the raw insert command replies { n, ok: 1 }', async () => {
    const reply = await db.command({ insert: 'insert_raw', documents: [{ a: 1 }, { a: 2 }] });

    expect(reply).toMatchObject({ ok: 1, n: 2 });
    expect(reply.writeErrors).toBeUndefined();
  });

  it('a document with an existing _id is refused with 11000 on the _id_ index', async () => {
    const collection = db.collection<{ _id: string }>('duplicate_id');
    await collection.insertOne({ _id: 'taken' });

    const error = await captureServerError(collection.insertOne({ _id: 'taken' }));

    expect(error.code).toBe(11000);
    expect(error.keyPattern).toEqual({ _id: 1 });
    expect(error.keyValue).toEqual({ _id: 'taken' });
    expect(error.message).toBe(
      `E11000 duplicate key error collection: ${dbName}.duplicate_id index: _id_ dup key: { _id: "taken" }`,
    );
  });

  it('keeps every BSON type as it was written', async () => {
    const collection = db.collection<TestDocument>('bson_types');
    const objectId = new ObjectId();
    const written = {
      _id: 'types',
      int32: new Int32(7),
      double: new Double(7),
      long: Long.fromString('9007199254740993'),
      decimal: Decimal128.fromString('12.50'),
      date: new Date('2024-02-29T12:34:56.789Z'),
      objectId,
      binary: new Binary(Buffer.from([0, 1, 2, 255])),
      boolean: false,
      nullValue: null,
      string: 'héllo ✓',
      nested: { deeper: { list: [1, 'two', { three: 3 }] } },
      emptyObject: {},
      emptyArray: [],
    };
    await collection.insertOne(written);

    const stored = await collection.findOne({ _id: 'types' }, { promoteValues: false });

    expect(stored?.int32).toBeInstanceOf(Int32);
    expect(stored?.double).toBeInstanceOf(Double);
    expect(stored?.long).toBeInstanceOf(Long);
    expect(String(stored?.long)).toBe('9007199254740993');
    expect(stored?.decimal).toBeInstanceOf(Decimal128);
    expect(String(stored?.decimal)).toBe('12.50');
    expect(stored?.binary).toBeInstanceOf(Binary);
    expect(Buffer.from((stored?.binary as Binary).buffer)).toEqual(Buffer.from([0, 1, 2, 255]));

    const promoted = await collection.findOne({ _id: 'types' });
    expect(promoted).toMatchObject({
      int32: 7,
      double: 7,
      date: new Date('2024-02-29T12:34:56.789Z'),
      objectId,
      boolean: false,
      nullValue: null,
      string: 'héllo ✓',
      nested: { deeper: { list: [1, 'two', { three: 3 }] } },
      emptyObject: {},
      emptyArray: [],
    });
    expect(Object.keys(promoted ?? {})).toEqual(Object.keys(written));
  });

  it('$type tells int, double and long apart', async () => {
    const collection = db.collection<TestDocument>('numeric_types');
    await collection.insertMany([
      { _id: 'int', n: new Int32(1) },
      { _id: 'double', n: new Double(1) },
      { _id: 'long', n: Long.fromNumber(1) },
    ]);

    for (const [type, expectedId] of [
      ['int', 'int'],
      ['double', 'double'],
      ['long', 'long'],
    ] as const) {
      const found = await collection.find({ n: { $type: type } }).toArray();
      expect(found.map((doc) => doc._id)).toEqual([expectedId]);
    }
    // ...and yet all three are equal to 1.
    expect(await collection.countDocuments({ n: 1 })).toBe(3);
  });
});

/** Orders whose items hold arrays, for $elemMatch through an array. */
interface Order {
  _id: string;
  items: Document[];
}

describe('find', () => {
  let collection: Collection<Person>;

  beforeAll(async () => {
    collection = db.collection<Person>('people');
    await collection.insertMany(people);
  });

  const filters: [string, Filter<Person>, string[]][] = [
    ['equality on a field', { name: 'Bob' }, ['bob']],
    ['equality is case-sensitive', { name: 'Dee' }, []],
    ['equality on _id', { _id: 'bob' }, ['bob']],
    ['several equalities must all hold', { 'address.city': 'Oslo', tags: 'ops' }, ['ann']],
    ['a string never equals a number', { age: '25' } as Document, []],
    ['$gt on numbers', { age: { $gt: 30 } }, ['ann', 'eve']],
    ['$gte and $lt together', { age: { $gte: 25, $lt: 42 } }, ['ann', 'bob']],
    [
      '$ne also matches documents without the field',
      { age: { $ne: 25 } },
      ['ann', 'cid', 'dee', 'eve'],
    ],
    ['$in', { _id: { $in: ['ann', 'eve', 'zed'] } }, ['ann', 'eve']],
    ['$nin', { _id: { $nin: ['ann', 'eve'] } }, ['bob', 'cid', 'dee']],
    ['null matches null and missing', { age: null }, ['cid', 'dee']],
    ['$exists: false matches only missing', { age: { $exists: false } }, ['dee']],
    ['$exists: true matches null too', { age: { $exists: true } }, ['ann', 'bob', 'cid', 'eve']],
    ['a scalar matches inside an array', { tags: 'ops' }, ['ann', 'dee']],
    ['$all', { tags: { $all: ['dev', 'ops'] } }, ['dee']],
    ['$size', { tags: { $size: 0 } }, ['cid']],
    ['a dotted path into an embedded document', { 'address.city': 'Oslo' }, ['ann', 'cid']],
    ['a dotted path into an array of documents', { 'items.sku': 'b' }, ['bob', 'eve']],
    [
      '$elemMatch needs one element to satisfy every condition',
      { items: { $elemMatch: { sku: 'b', qty: { $gt: 2 } } } },
      ['bob'],
    ],
    [
      '$elemMatch about fields never takes a string for a document without them',
      { tags: { $elemMatch: { missing: null } } } as Document,
      [],
    ],
    [
      '$elemMatch about fields never reads a field of a string as the string',
      { tags: { $elemMatch: { missing: 'dev' } } } as Document,
      [],
    ],
    [
      '$elemMatch with operators tests the values',
      { tags: { $elemMatch: { $in: ['ops'] } } },
      ['ann', 'dee'],
    ],
    ['$or', { $or: [{ name: 'Ann' }, { age: 25 }] }, ['ann', 'bob']],
    ['$and', { $and: [{ tags: 'dev' }, { tags: 'ops' }] }, ['dee']],
    ['$nor', { $nor: [{ tags: 'dev' }, { age: { $exists: false } }] }, ['ann', 'cid', 'eve']],
    ['$not', { age: { $not: { $gt: 30 } } }, ['bob', 'cid', 'dee']],
    ['$regex with the i option', { name: { $regex: '^d', $options: 'i' } }, ['dee']],
    ['a regular expression literal', { name: /^[AB]/ }, ['ann', 'bob']],
    ['$expr comparing fields', { $expr: { $eq: ['$name', 'Eve'] } }, ['eve']],
    ['$mod', { age: { $mod: [5, 0] } }, ['bob']],
    ['$type: null', { age: { $type: 'null' } }, ['cid']],
    [
      '$ne on an array field excludes arrays containing the value',
      { tags: { $ne: 'dev' } },
      ['ann', 'cid', 'eve'],
    ],
    ['$nin with null excludes null and missing', { age: { $nin: [null, 25] } }, ['ann', 'eve']],
    ['$in with a regular expression', { name: { $in: [/^a/i, 'Bob'] } }, ['ann', 'bob']],
    ['a range on a field of array elements', { 'items.qty': { $gt: 4 } }, ['bob']],
    ['an array index in the path', { 'tags.0': 'dev' }, ['bob', 'dee']],
    ['a whole array matches only the same array', { tags: ['dev'] }, ['bob']],
    [
      'a whole embedded document matches only the same document',
      { address: { city: 'Oslo' } },
      ['cid'],
    ],
    ['$exists on a dotted path', { 'address.zip': { $exists: true } }, ['ann']],
    [
      '$type number matches int and double',
      // 'number' is a mongod alias the driver's types do not list.
      { age: { $type: 'number' } } as Document,
      ['ann', 'bob', 'eve'],
    ],
    ['$in with an empty list matches nothing', { age: { $in: [] } }, []],
    ['a range on string _ids', { _id: { $gte: 'c' } }, ['cid', 'dee', 'eve']],
    [
      '$expr with $size and $ifNull',
      { $expr: { $gt: [{ $size: { $ifNull: ['$tags', []] } }, 1] } },
      ['ann', 'dee'],
    ],
    ['an empty filter matches everything', {}, ['ann', 'bob', 'cid', 'dee', 'eve']],
  ];

  it.each(filters)('filters with %s', async (_label, filter, expectedIds) => {
    const found = await collection.find(filter).toArray();
    expect(found.map((person) => person._id).sort()).toEqual(expectedIds);
  });

  it.each<[string, Filter<Order>, string[]]>([
    [
      'tests the elements of every array a dotted path reaches',
      { 'items.tags': { $elemMatch: { k: 2 } } },
      ['two'],
    ],
    [
      'needs one element of one reached array to satisfy every operator',
      { 'items.n': { $elemMatch: { $gt: 1, $lt: 3 } } },
      [],
    ],
    ['finds that element where there is one', { 'items.n': { $elemMatch: { $gt: 4 } } }, ['two']],
  ])('$elemMatch on a path through an array %s', async (_label, filter, expectedIds) => {
    const orders = db.collection<Order>('orders_elem_match');
    if ((await orders.countDocuments()) === 0) {
      await orders.insertMany([
        { _id: 'one', items: [{ tags: [{ k: 1 }], n: [0, 3] }] },
        {
          _id: 'two',
          items: [
            { tags: [{ k: 1 }], n: [0, 5] },
            { tags: [{ k: 2 }], n: [9] },
          ],
        },
      ]);
    }
    const found = await orders.find(filter).toArray();
    expect(found.map((order) => order._id).sort()).toEqual(expectedIds);
  });

  it('an inclusion projection returns only the named fields and _id', async () => {
    const found = await collection.findOne({ _id: 'ann' }, { projection: { name: 1, age: 1 } });
    expect(found).toEqual({ _id: 'ann', name: 'Ann', age: 31 });
  });

  it('a projection of _id alone returns only _id', async () => {
    const found = await collection.findOne({ _id: 'ann' }, { projection: { _id: 1 } });
    expect(found).toEqual({ _id: 'ann' });
  });

  it('excluding only _id returns every other field', async () => {
    const found = await collection.findOne({ _id: 'cid' }, { projection: { _id: 0 } });
    expect(found).toEqual({
      name: 'Cid',
      age: null,
      tags: [],
      address: { city: 'Oslo' },
      secret: 's3',
    });
  });

  it('an inclusion projection can leave out _id', async () => {
    const found = await collection.findOne({ _id: 'ann' }, { projection: { name: 1, _id: 0 } });
    expect(found).toEqual({ name: 'Ann' });
  });

  it('an exclusion projection returns everything else', async () => {
    const found = await collection.findOne(
      { _id: 'bob' },
      { projection: { secret: 0, items: 0, tags: 0 } },
    );
    expect(found).toEqual({ _id: 'bob', name: 'Bob', age: 25, address: { city: 'Bergen' } });
  });

  it('$slice in a projection returns part of an array', async () => {
    const found = await collection.findOne(
      { _id: 'ann' },
      { projection: { tags: { $slice: 1 }, name: 1 } },
    );
    expect(found).toEqual({ _id: 'ann', name: 'Ann', tags: ['admin'] });
  });

  it('a dotted inclusion projection keeps the embedded document around the field', async () => {
    const found = await collection.findOne(
      { _id: 'ann' },
      { projection: { 'address.city': 1, _id: 0 } },
    );
    expect(found).toEqual({ address: { city: 'Oslo' } });
  });

  it('sorts by several keys, ascending and descending', async () => {
    const found = await collection
      .find({}, { projection: { _id: 1 } })
      .sort({ 'address.city': 1, age: -1 })
      .toArray();
    // Missing city sorts first (as null); within Oslo, 31 before null.
    expect(found.map((person) => person._id)).toEqual(['eve', 'dee', 'bob', 'ann', 'cid']);
  });

  it('skip and limit page through a sorted result', async () => {
    const page = await collection.find({}).sort({ _id: 1 }).skip(1).limit(2).toArray();
    expect(page.map((person) => person._id)).toEqual(['bob', 'cid']);
  });

  it('limit 0 means no limit; skip past the end returns nothing', async () => {
    expect(await collection.find({}).limit(0).toArray()).toHaveLength(5);
    expect(await collection.find({}).skip(10).toArray()).toEqual([]);
  });

  it('findOne on no match returns null', async () => {
    await expect(collection.findOne({ _id: 'nobody' })).resolves.toBeNull();
  });

  it('find on a collection that does not exist returns no documents', async () => {
    await expect(db.collection<TestDocument>('never_created').find({}).toArray()).resolves.toEqual(
      [],
    );
  });
});

describe('large messages', () => {
  it('a 15 MB document goes in and comes back whole', async () => {
    const collection = db.collection<TestDocument>('large_document');
    const payload = 'x'.repeat(15 * 1024 * 1024);

    await collection.insertOne({ _id: 'large', payload });

    const stored = await collection.findOne({ _id: 'large' });
    expect(typeof stored?.payload).toBe('string');
    expect((stored?.payload as string).length).toBe(payload.length);
  });

  it('1,000 documents of 20 kB in one insert (20 MB) all arrive and read back across batches', async () => {
    const collection = db.collection<{ _id: number; payload: string }>('large_batch');
    const payload = 'y'.repeat(20 * 1024);

    const result = await collection.insertMany(
      Array.from({ length: 1_000 }, (_, index) => ({ _id: index, payload })),
    );
    expect(result.insertedCount).toBe(1_000);

    const ids: number[] = [];
    for await (const doc of collection.find({}, { sort: { _id: 1 } })) {
      expect(doc.payload.length).toBe(payload.length);
      ids.push(doc._id);
    }
    expect(ids).toEqual(Array.from({ length: 1_000 }, (_, index) => index));
  });
});

describe('cursors', () => {
  const total = 250;
  let collection: Collection<{ _id: number; n: number }>;

  beforeAll(async () => {
    collection = db.collection<{ _id: number; n: number }>('many');
    await collection.insertMany(
      Array.from({ length: total }, (_, index) => ({ _id: index, n: index })),
    );
  });

  it('a find reply carries the namespace, an int64 cursor id and the first batch', async () => {
    const reply = await db.command(
      { find: 'many', filter: {}, sort: { _id: 1 }, batchSize: 3 },
      { promoteLongs: false },
    );

    expect(reply.ok).toBe(1);
    expect(reply.cursor.ns).toBe(`${dbName}.many`);
    expect(reply.cursor.firstBatch).toEqual([
      { _id: 0, n: 0 },
      { _id: 1, n: 1 },
      { _id: 2, n: 2 },
    ]);
    expect(reply.cursor.id).toBeInstanceOf(Long);
    expect(toBigInt(reply.cursor.id)).not.toBe(0n);

    await db.command({ killCursors: 'many', cursors: [reply.cursor.id] });
  });

  it('an exhausted cursor comes back with id 0 as an int64', async () => {
    const reply = await db.command(
      { find: 'many', filter: { _id: { $lt: 2 } }, batchSize: 10 },
      { promoteLongs: false },
    );

    expect(reply.cursor.firstBatch).toHaveLength(2);
    expect(reply.cursor.id).toBeInstanceOf(Long);
    expect(toBigInt(reply.cursor.id)).toBe(0n);
  });

  it('250 documents in batches of 20 arrive in order through 12 getMores', async () => {
    const seen = await collection.find({}, { sort: { _id: 1 }, batchSize: 20 }).toArray();

    expect(seen.map((doc) => doc._id)).toEqual(Array.from({ length: total }, (_, index) => index));
    const getMores = commands.named('getMore');
    expect(getMores).toHaveLength(12);
    for (const event of getMores) expect(event.command.batchSize).toBe(20);
    const batchSizes = commands
      .repliesTo('getMore')
      .map((event) => (event.reply as Document).cursor.nextBatch.length as number);
    expect(batchSizes).toEqual([...Array.from({ length: 11 }, () => 20), 10]);
  });

  it('a raw getMore continues where the first batch stopped and ends with id 0', async () => {
    const first = await db.command(
      { find: 'many', filter: { _id: { $gte: 240 } }, sort: { _id: 1 }, batchSize: 4 },
      { promoteLongs: false },
    );
    const more = await db.command(
      { getMore: first.cursor.id, collection: 'many', batchSize: 100 },
      { promoteLongs: false },
    );

    expect(more.ok).toBe(1);
    expect(more.cursor.ns).toBe(`${dbName}.many`);
    expect((more.cursor.nextBatch as Document[]).map((doc) => doc._id)).toEqual([
      244, 245, 246, 247, 248, 249,
    ]);
    expect(toBigInt(more.cursor.id)).toBe(0n);
  });

  it('limit across batches stops at the limit', async () => {
    const seen = await collection
      .find({}, { sort: { _id: 1 }, batchSize: 20, limit: 45 })
      .toArray();
    expect(seen).toHaveLength(45);
    expect(seen[44]?._id).toBe(44);
  });

  it('skip with batches returns the tail', async () => {
    const seen = await collection
      .find({}, { sort: { _id: 1 }, batchSize: 20, skip: 240 })
      .toArray();
    expect(seen.map((doc) => doc._id)).toEqual([240, 241, 242, 243, 244, 245, 246, 247, 248, 249]);
  });

  it('singleBatch returns one batch and closes the cursor', async () => {
    const reply = await db.command(
      { find: 'many', filter: {}, sort: { _id: 1 }, batchSize: 5, singleBatch: true },
      { promoteLongs: false },
    );

    expect(reply.cursor.firstBatch).toHaveLength(5);
    expect(toBigInt(reply.cursor.id)).toBe(0n);
  });

  it('a negative limit returns one batch and sends no getMore', async () => {
    const seen = await collection.find({}, { sort: { _id: 1 }, limit: -7 }).toArray();

    expect(seen.map((doc) => doc._id)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(commands.named('getMore')).toHaveLength(0);
  });

  it('closing a cursor early kills it on the server; a later getMore gets CursorNotFound (43)', async () => {
    const cursor = collection.find({}, { sort: { _id: 1 }, batchSize: 5 });
    await expect(cursor.next()).resolves.toEqual({ _id: 0, n: 0 });
    const cursorId = cursor.id;
    expect(cursorId).toBeDefined();
    expect(toBigInt(cursorId)).not.toBe(0n);

    await cursor.close();

    const killReplies = commands.repliesTo('killCursors');
    expect(killReplies).toHaveLength(1);
    const killed = ((killReplies[0]?.reply as Document).cursorsKilled as unknown[]).map(toBigInt);
    expect(killed).toEqual([toBigInt(cursorId)]);

    const error = await captureServerError(db.command({ getMore: cursorId, collection: 'many' }));
    expect(error.code).toBe(43);
    expect(error.codeName).toBe('CursorNotFound');
  });

  it('killCursors lists ids it does not know under cursorsNotFound', async () => {
    const unknownId = Long.fromString('1234567890123');

    const reply = await db.command({ killCursors: 'many', cursors: [unknownId] });

    expect(reply.ok).toBe(1);
    expect((reply.cursorsNotFound as unknown[]).map(toBigInt)).toEqual([1234567890123n]);
    expect(reply.cursorsKilled).toEqual([]);
  });

  it('two cursors on one collection page independently', async () => {
    const ascending = collection.find({}, { sort: { _id: 1 }, batchSize: 7 });
    const descending = collection.find({}, { sort: { _id: -1 }, batchSize: 7 });
    const firstIds: number[] = [];
    const lastIds: number[] = [];
    for (let step = 0; step < 30; step += 1) {
      firstIds.push((await ascending.next())?._id ?? -1);
      lastIds.push((await descending.next())?._id ?? -1);
    }
    await ascending.close();
    await descending.close();

    expect(firstIds).toEqual(Array.from({ length: 30 }, (_, index) => index));
    expect(lastIds).toEqual(Array.from({ length: 30 }, (_, index) => total - 1 - index));
  });
});

describe('delete', () => {
  let collection: Collection<{ _id: number; group: string }>;

  beforeEach(async () => {
    collection = db.collection<{ _id: number; group: string }>('deletes');
    await collection.deleteMany({});
    await collection.insertMany([
      { _id: 1, group: 'a' },
      { _id: 2, group: 'a' },
      { _id: 3, group: 'b' },
    ]);
  });

  it('deleteOne removes a single matching document', async () => {
    await expect(collection.deleteOne({ group: 'a' })).resolves.toEqual({
      acknowledged: true,
      deletedCount: 1,
    });
    expect(await collection.countDocuments({ group: 'a' })).toBe(1);
    expect(await collection.countDocuments({ group: 'b' })).toBe(1);
  });

  it('deleteMany removes every matching document', async () => {
    await expect(collection.deleteMany({ group: 'a' })).resolves.toMatchObject({ deletedCount: 2 });
    expect((await collection.find({}).toArray()).map((doc) => doc._id)).toEqual([3]);
  });

  it('deleting with no match deletes nothing', async () => {
    await expect(collection.deleteOne({ group: 'z' })).resolves.toMatchObject({ deletedCount: 0 });
    expect(await collection.countDocuments()).toBe(3);
  });

  it('the raw delete command replies { n, ok: 1 }', async () => {
    const reply = await db.command({
      delete: 'deletes',
      deletes: [
        { q: { _id: 1 }, limit: 1 },
        { q: { group: 'b' }, limit: 0 },
      ],
    });
    expect(reply).toMatchObject({ ok: 1, n: 2 });
  });

  it('a deleted _id can be inserted again', async () => {
    await collection.deleteOne({ _id: 1 });
    await expect(collection.insertOne({ _id: 1, group: 'again' })).resolves.toMatchObject({
      insertedId: 1,
    });
  });
});
