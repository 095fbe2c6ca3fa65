import {
  Double,
  Int32,
  Long,
  ObjectId,
  type Collection,
  type Db,
  type Document,
  type MongoClient,
} from 'mongodb';
import { testDatabase } from '../helpers/test-database';
import { captureServerError, connectClient, type TestDocument } from './conformance-helpers';

const { uri, dbName } = testDatabase('update');
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

/** A fresh collection per test, so each test's writes are all it sees. */
let collectionCounter = 0;
function freshCollection<Schema extends Document = TestDocument>(): Collection<Schema> {
  collectionCounter += 1;
  return db.collection<Schema>(`updates_${collectionCounter}`);
}

describe('operator updates', () => {
  const cases: [string, Document, Document, Document][] = [
    ['$set replaces and adds fields', { a: 1 }, { $set: { a: 2, b: 'x' } }, { a: 2, b: 'x' }],
    [
      '$set on a dotted path creates the embedded document',
      {},
      { $set: { 'profile.name': 'Ann' } },
      { profile: { name: 'Ann' } },
    ],
    [
      '$set on a dotted path keeps sibling fields',
      { profile: { name: 'Ann', age: 3 } },
      { $set: { 'profile.name': 'Bo' } },
      { profile: { name: 'Bo', age: 3 } },
    ],
    ['$unset removes a field', { a: 1, b: 2 }, { $unset: { a: '' } }, { b: 2 }],
    [
      '$inc adds to a field and creates a missing one',
      { n: 1 },
      { $inc: { n: 2, m: -1 } },
      { n: 3, m: -1 },
    ],
    [
      '$mul multiplies, and sets a missing field to 0',
      { n: 3 },
      { $mul: { n: 4, z: 2 } },
      { n: 12, z: 0 },
    ],
    [
      '$min and $max only move a value in their direction',
      { low: 5, high: 5, keepLow: 1, keepHigh: 9 },
      { $min: { low: 3, keepLow: 4 }, $max: { high: 9, keepHigh: 2 } },
      { low: 3, high: 9, keepLow: 1, keepHigh: 9 },
    ],
    [
      '$rename moves a field',
      { old: 1, other: 2 },
      { $rename: { old: 'renamed' } },
      { other: 2, renamed: 1 },
    ],
    ['$push appends to an array', { list: [1] }, { $push: { list: 2 } }, { list: [1, 2] }],
    ['$push creates a missing array', {}, { $push: { list: 'first' } }, { list: ['first'] }],
    [
      '$push with $each and $slice keeps the last elements',
      { list: [1, 2] },
      { $push: { list: { $each: [3, 4, 5], $slice: -3 } } },
      { list: [3, 4, 5] },
    ],
    [
      '$push with $each and $sort sorts the whole array',
      { list: [3, 1] },
      { $push: { list: { $each: [2], $sort: 1 } } },
      { list: [1, 2, 3] },
    ],
    [
      '$push on a dotted path creates the embedded document and the array',
      {},
      { $push: { 'profile.tags': 'x' } },
      { profile: { tags: ['x'] } },
    ],
    [
      '$unset on a dotted path removes only that field',
      { profile: { name: 'Ann', age: 3 } },
      { $unset: { 'profile.age': '' } },
      { profile: { name: 'Ann' } },
    ],
    [
      '$set past the end of an array pads it with nulls',
      { list: [1] },
      { $set: { 'list.3': 4 } },
      { list: [1, null, null, 4] },
    ],
    [
      '$addToSet with $each adds only values not yet present',
      { tags: ['a'] },
      { $addToSet: { tags: { $each: ['a', 'b', 'b'] } } },
      { tags: ['a', 'b'] },
    ],
    [
      '$pull removes the elements matching a condition',
      { scores: [1, 5, 8, 3] },
      { $pull: { scores: { $gte: 5 } } },
      { scores: [1, 3] },
    ],
    [
      '$pull with a document removes the embedded documents it matches',
      {
        items: [
          { sku: 'a', qty: 1 },
          { sku: 'b', qty: 2 },
        ],
      },
      { $pull: { items: { sku: 'a' } } },
      { items: [{ sku: 'b', qty: 2 }] },
    ],
    [
      '$pull with a document removes embedded documents with more fields, not other values',
      { inFlight: [{ id: 'a', until: 1 }, 'a', { id: 'b', until: 2 }, { id: 'a' }] },
      { $pull: { inFlight: { id: 'a' } } },
      { inFlight: ['a', { id: 'b', until: 2 }] },
    ],
    [
      '$pull with an empty document removes every embedded document and nothing else',
      { list: [{ a: 1 }, 2, 'x', {}] },
      { $pull: { list: {} } },
      { list: [2, 'x'] },
    ],
    [
      '$pull with a document never removes a value that is not a document, even by a null field',
      { list: ['a', 2, null, { id: 'b' }, {}] },
      { $pull: { list: { id: null } } },
      { list: ['a', 2, null, { id: 'b' }] },
    ],
    [
      '$pull with a document of numbers and operators removes only embedded documents',
      { list: [1, { n: 1 }, { n: 2, id: 'c' }, 'c', { n: 3, id: 'b' }] },
      { $pull: { list: { n: { $lt: 3 }, id: { $ne: 'b' } } } },
      { list: [1, 'c', { n: 3, id: 'b' }] },
    ],
    [
      '$pull with a document on a dotted path through embedded documents',
      { a: { list: ['x', { id: 'x' }, { id: 'y' }] } },
      { $pull: { 'a.list': { id: 'x' } } },
      { a: { list: ['x', { id: 'y' }] } },
    ],
    [
      '$pull with a document through every element of an array ($[])',
      { a: [{ list: ['x', { id: 'x' }] }, { list: [{ id: 'y' }, 'x'] }, { other: 1 }] },
      { $pull: { 'a.$[].list': { id: 'x' } } },
      { a: [{ list: ['x'] }, { list: [{ id: 'y' }, 'x'] }, { other: 1 }] },
    ],
    [
      '$pull with $or of documents removes only the embedded documents either matches',
      { list: ['x', { id: 'x' }, { id: 'y' }, { id: 'z' }] },
      { $pull: { list: { $or: [{ id: 'x' }, { id: 'y' }] } } },
      { list: ['x', { id: 'z' }] },
    ],
    [
      '$pull with $nor of a document never removes a value that is not a document',
      { list: [1, 'y', { id: 'y' }, { id: 'z' }] },
      { $pull: { list: { $nor: [{ id: 'y' }] } } },
      { list: [1, 'y', { id: 'y' }] },
    ],
    [
      '$pull with a document compares ObjectIds by value',
      { refs: [{ to: new ObjectId('64b7f0c2a1b2c3d4e5f60718') }, { to: 'x' }] },
      { $pull: { refs: { to: new ObjectId('64b7f0c2a1b2c3d4e5f60718') } } },
      { refs: [{ to: 'x' }] },
    ],
    [
      '$pullAll removes every listed value',
      { list: [1, 2, 3, 1] },
      { $pullAll: { list: [1, 3] } },
      { list: [2] },
    ],
    [
      '$rename onto an existing field replaces it',
      { from: 1, to: 2 },
      { $rename: { from: 'to' } },
      { to: 1 },
    ],
    ['$min on a missing field sets it', {}, { $min: { low: 5 } }, { low: 5 }],
    [
      '$max compares dates',
      { seen: new Date('2024-01-01T00:00:00Z') },
      { $max: { seen: new Date('2025-01-01T00:00:00Z') } },
      { seen: new Date('2025-01-01T00:00:00Z') },
    ],
    [
      '$push with $position inserts at that index',
      { list: [1, 4] },
      { $push: { list: { $each: [2, 3], $position: 1 } } },
      { list: [1, 2, 3, 4] },
    ],
    [
      '$pop -1 removes the first element',
      { list: [1, 2, 3] },
      { $pop: { list: -1 } },
      { list: [2, 3] },
    ],
    [
      '$pop 1 removes the last element',
      { list: [1, 2, 3] },
      { $pop: { list: 1 } },
      { list: [1, 2] },
    ],
    [
      '$set on an array index replaces that element',
      { list: [1, 2, 3] },
      { $set: { 'list.1': 20 } },
      { list: [1, 20, 3] },
    ],
    [
      '$[] updates every array element',
      { list: [{ n: 1 }, { n: 2 }] },
      { $inc: { 'list.$[].n': 10 } },
      { list: [{ n: 11 }, { n: 12 }] },
    ],
  ];

  it.each(cases)('%s', async (_label, initial, update, expected) => {
    const collection = freshCollection();
    await collection.insertOne({ _id: 'doc', ...initial });

    const result = await collection.updateOne({ _id: 'doc' }, update);

    expect(result).toMatchObject({ matchedCount: 1, modifiedCount: 1, upsertedCount: 0 });
    expect(await collection.findOne({ _id: 'doc' }, { projection: { _id: 0 } })).toEqual(expected);
  });

  it('a $pull that matches no element modifies nothing', async () => {
    const collection = freshCollection<{ _id: string; inFlight: { id: string }[] }>();
    await collection.insertOne({ _id: 'doc', inFlight: [{ id: 'a' }] });

    const result = await collection.updateOne({ _id: 'doc' }, { $pull: { inFlight: { id: 'b' } } });

    expect(result).toMatchObject({ matchedCount: 1, modifiedCount: 0 });
    expect(await collection.findOne({ _id: 'doc' })).toEqual({
      _id: 'doc',
      inFlight: [{ id: 'a' }],
    });
  });

  it('a $pull through the positional $ removes only embedded documents of that element', async () => {
    const collection = freshCollection();
    const tags = ['x', { id: 'x' }, { id: 'y' }];
    const pullFromMatched: Document = { $pull: { 'items.$.tags': { id: 'x' } } };
    await collection.insertOne({
      _id: 'doc',
      items: [
        { k: 1, tags },
        { k: 2, tags },
      ],
    });

    await collection.updateOne({ _id: 'doc', items: { $elemMatch: { k: 1 } } }, pullFromMatched);

    expect(await collection.findOne({ _id: 'doc' })).toEqual({
      _id: 'doc',
      items: [
        { k: 1, tags: ['x', { id: 'y' }] },
        { k: 2, tags },
      ],
    });
  });

  it.each<[string, Document]>([
    ['a document', { list: { id: 'x' } }],
    ['a value', { list: 5 }],
    ['an operator', { list: { $gte: 5 } }],
  ])(
    'a $pull by %s from a field that is not an array is refused with BadValue',
    async (_by, pull) => {
      const collection = freshCollection();
      await collection.insertMany([
        { _id: 'number', list: 5 },
        { _id: 'null', list: null },
      ]);

      for (const _id of ['number', 'null']) {
        const error = await captureServerError(collection.updateOne({ _id }, { $pull: pull }));
        expect(error.code).toBe(2);
        expect(error.message).toBe('Cannot apply $pull to a non-array value');
      }
      expect(await collection.find({}).sort({ _id: 1 }).toArray()).toEqual([
        { _id: 'null', list: null },
        { _id: 'number', list: 5 },
      ]);
    },
  );

  it('$currentDate sets the server time as a Date', async () => {
    const collection = freshCollection<{ _id: string; touchedAt?: Date }>();
    await collection.insertOne({ _id: 'doc' });
    const before = Date.now();

    await collection.updateOne({ _id: 'doc' }, { $currentDate: { touchedAt: true } });

    const stored = await collection.findOne({ _id: 'doc' });
    expect(stored?.touchedAt).toBeInstanceOf(Date);
    expect(Math.abs((stored?.touchedAt as Date).getTime() - before)).toBeLessThan(60_000);
  });

  it('the positional $ updates the array element the filter matched', async () => {
    const collection = freshCollection();
    await collection.insertOne({
      _id: 'order',
      items: [
        { sku: 'a', qty: 1 },
        { sku: 'b', qty: 1 },
      ],
    });

    await collection.updateOne({ _id: 'order', 'items.sku': 'b' }, { $set: { 'items.$.qty': 5 } });

    expect(await collection.findOne({ _id: 'order' })).toEqual({
      _id: 'order',
      items: [
        { sku: 'a', qty: 1 },
        { sku: 'b', qty: 5 },
      ],
    });
  });

  it('arrayFilters pick the array elements to update', async () => {
    const collection = freshCollection();
    await collection.insertOne({ _id: 'grades', grades: [95, 40, 100, 30] });

    await collection.updateOne(
      { _id: 'grades' },
      { $set: { 'grades.$[low]': 50 } },
      { arrayFilters: [{ low: { $lt: 50 } }] },
    );

    expect(await collection.findOne({ _id: 'grades' })).toEqual({
      _id: 'grades',
      grades: [95, 50, 100, 50],
    });
  });

  it('an operator with an empty operand is a no-op (mongod 5.0+)', async () => {
    const collection = freshCollection();
    await collection.insertOne({ _id: 'same', a: 1 });

    await expect(collection.updateOne({ _id: 'same' }, { $set: {} })).resolves.toMatchObject({
      matchedCount: 1,
      modifiedCount: 0,
    });
    expect(await collection.findOne({ _id: 'same' })).toEqual({ _id: 'same', a: 1 });
  });

  it('an update that changes nothing matches but does not modify', async () => {
    const collection = freshCollection();
    await collection.insertOne({ _id: 'same', a: 1 });

    await expect(collection.updateOne({ _id: 'same' }, { $set: { a: 1 } })).resolves.toMatchObject({
      matchedCount: 1,
      modifiedCount: 0,
    });
  });

  it('an update that matches nothing reports zero and creates nothing', async () => {
    const collection = freshCollection();

    await expect(collection.updateOne({ _id: 'ghost' }, { $set: { a: 1 } })).resolves.toMatchObject(
      {
        matchedCount: 0,
        modifiedCount: 0,
        upsertedCount: 0,
        upsertedId: null,
      },
    );
    expect(await collection.countDocuments()).toBe(0);
  });
});

describe('numeric types under update operators', () => {
  async function storedTypes(update: Document, initial: Document): Promise<Document | null> {
    const collection = freshCollection();
    await collection.insertOne({ _id: 'n', ...initial });
    await collection.updateOne({ _id: 'n' }, update);
    return collection.findOne({ _id: 'n' }, { promoteValues: false, projection: { _id: 0 } });
  }

  it('$inc of an int by an int stays an int', async () => {
    const stored = await storedTypes({ $inc: { n: new Int32(2) } }, { n: new Int32(40) });
    expect(stored?.n).toBeInstanceOf(Int32);
    expect(Number(stored?.n)).toBe(42);
  });

  it('$inc of an int by a double gives a double', async () => {
    const stored = await storedTypes({ $inc: { n: new Double(0.5) } }, { n: new Int32(1) });
    expect(stored?.n).toBeInstanceOf(Double);
    expect(Number(stored?.n)).toBe(1.5);
  });

  it('$inc past the int32 range promotes the value to a long', async () => {
    const stored = await storedTypes({ $inc: { n: new Int32(1) } }, { n: new Int32(2147483647) });
    expect(stored?.n).toBeInstanceOf(Long);
    expect(String(stored?.n)).toBe('2147483648');
  });

  it('$inc of a long stays a long', async () => {
    const stored = await storedTypes(
      { $inc: { n: new Int32(1) } },
      { n: Long.fromString('9007199254740993') },
    );
    expect(stored?.n).toBeInstanceOf(Long);
    expect(String(stored?.n)).toBe('9007199254740994');
  });
});

describe('multi updates', () => {
  it('updateMany changes every matching document and only those', async () => {
    const collection = freshCollection();
    await collection.insertMany([
      { _id: 1, role: 'user', active: true },
      { _id: 2, role: 'user', active: false },
      { _id: 3, role: 'admin', active: false },
      { _id: 4, role: 'user', active: true },
    ]);

    const result = await collection.updateMany({ role: 'user' }, { $set: { active: true } });

    expect(result).toMatchObject({ matchedCount: 3, modifiedCount: 1 });
    const active = await collection.find({ active: true }).sort({ _id: 1 }).toArray();
    expect(active.map((doc) => doc._id)).toEqual([1, 2, 4]);
  });

  it('updateOne changes only one of several matches', async () => {
    const collection = freshCollection();
    await collection.insertMany([{ flag: false }, { flag: false }, { flag: false }]);

    await collection.updateOne({ flag: false }, { $set: { flag: true } });

    expect(await collection.countDocuments({ flag: true })).toBe(1);
  });

  it('the raw update command counts matches, modifications and upserts per statement', async () => {
    const collection = freshCollection();
    await collection.insertMany([
      { _id: 1, n: 0 },
      { _id: 2, n: 0 },
    ]);

    const reply = await db.command({
      update: collection.collectionName,
      updates: [
        { q: {}, u: { $inc: { n: 1 } }, multi: true },
        { q: { _id: 3 }, u: { $set: { n: 9 } }, upsert: true },
      ],
    });

    expect(reply).toMatchObject({ ok: 1, n: 3, nModified: 2, upserted: [{ index: 1, _id: 3 }] });
    expect(reply.writeErrors).toBeUndefined();
  });
});

describe('replacement', () => {
  it('replaceOne swaps the whole document and keeps its _id', async () => {
    const collection = freshCollection();
    await collection.insertOne({ _id: 'r', a: 1, b: 2 });

    await expect(collection.replaceOne({ a: 1 }, { c: 3 })).resolves.toMatchObject({
      matchedCount: 1,
      modifiedCount: 1,
    });
    expect(await collection.findOne({ _id: 'r' })).toEqual({ _id: 'r', c: 3 });
  });

  it('a replacement may repeat the same _id', async () => {
    const collection = freshCollection();
    await collection.insertOne({ _id: 'r', a: 1 });

    await collection.replaceOne({ _id: 'r' }, { _id: 'r', a: 2 });

    expect(await collection.findOne({ _id: 'r' })).toEqual({ _id: 'r', a: 2 });
  });
});

describe('pipeline updates', () => {
  it('computes new fields from existing ones and removes others', async () => {
    const collection = freshCollection();
    await collection.insertMany([
      { _id: 1, a: 2, b: 3, tmp: true },
      { _id: 2, a: 10, b: 1, tmp: true },
    ]);

    const result = await collection.updateMany({}, [
      { $set: { total: { $add: ['$a', '$b'] }, kind: 'sum' } },
      { $unset: 'tmp' },
    ]);

    expect(result).toMatchObject({ matchedCount: 2, modifiedCount: 2 });
    expect(await collection.find({}).sort({ _id: 1 }).toArray()).toEqual([
      { _id: 1, a: 2, b: 3, total: 5, kind: 'sum' },
      { _id: 2, a: 10, b: 1, total: 11, kind: 'sum' },
    ]);
  });

  it('can read a field before overwriting it in the same stage', async () => {
    const collection = freshCollection();
    await collection.insertOne({ _id: 1, a: 1, b: 2 });

    await collection.updateOne({ _id: 1 }, [{ $set: { a: '$b', b: '$a' } }]);

    expect(await collection.findOne({ _id: 1 })).toEqual({ _id: 1, a: 2, b: 1 });
  });

  it('$max and $min skip null and missing values, and look inside one array argument', async () => {
    const collection = freshCollection();
    await collection.insertOne({ _id: 1, a: 3, none: null, list: [{ t: 4 }, { t: 9 }], empty: [] });

    await collection.updateOne({ _id: 1 }, [
      {
        $set: {
          max: { $max: [1, '$a', '$missing', '$none'] },
          min: { $min: ['$missing', 5, '$a'] },
          nothing: { $max: ['$missing', '$none'] },
          inside: { $max: '$list.t' },
          insideListed: { $min: ['$list.t'] },
          ofEmpty: { $max: '$empty' },
          // Several arguments are compared as they are: an array sorts after any number.
          arrayArgument: { $max: [100, '$list.t'] },
        },
      },
    ]);

    expect(await collection.findOne({ _id: 1 })).toMatchObject({
      max: 3,
      min: 3,
      nothing: null,
      inside: 9,
      insideListed: 4,
      ofEmpty: null,
      arrayArgument: [4, 9],
    });
  });
});

describe('upsert', () => {
  it("inserts a document seeded from the filter's equality fields", async () => {
    const collection = freshCollection();

    const result = await collection.updateOne(
      {
        email: 'new@example.com',
        'profile.tier': 'gold',
        plan: { $eq: 'free' },
        $and: [{ region: 'eu' }],
        age: { $gt: 18 },
      },
      { $set: { name: 'New' } },
      { upsert: true },
    );

    expect(result).toMatchObject({ matchedCount: 0, modifiedCount: 0, upsertedCount: 1 });
    expect(result.upsertedId).toBeInstanceOf(ObjectId);
    const stored = await collection.findOne({ _id: result.upsertedId ?? undefined });
    expect(stored).toEqual({
      _id: result.upsertedId,
      email: 'new@example.com',
      profile: { tier: 'gold' },
      plan: 'free',
      region: 'eu',
      name: 'New',
    });
  });

  it('uses the _id from the filter as the new id', async () => {
    const collection = freshCollection<{ _id: string; visits: number }>();

    const result = await collection.updateOne(
      { _id: 'chosen' },
      { $inc: { visits: 1 } },
      { upsert: true },
    );

    expect(result.upsertedId).toBe('chosen');
    expect(await collection.findOne({ _id: 'chosen' })).toEqual({ _id: 'chosen', visits: 1 });
  });

  it('$setOnInsert applies only when the upsert inserts', async () => {
    const collection = freshCollection<{
      key: string;
      count: number;
      lastRound: number;
      firstRound: number;
    }>();
    const upsert = (round: number) =>
      collection.updateOne(
        { key: 'k' },
        { $inc: { count: 1 }, $set: { lastRound: round }, $setOnInsert: { firstRound: round } },
        { upsert: true },
      );

    await expect(upsert(1)).resolves.toMatchObject({ upsertedCount: 1 });
    await expect(upsert(2)).resolves.toMatchObject({ matchedCount: 1, upsertedCount: 0 });

    const stored = await collection.findOne({ key: 'k' }, { projection: { _id: 0 } });
    expect(stored).toEqual({ key: 'k', count: 2, lastRound: 2, firstRound: 1 });
    expect(await collection.countDocuments()).toBe(1);
  });

  it('an update operator overrides the value seeded from the filter', async () => {
    const collection = freshCollection();

    await collection.updateOne({ status: 'new' }, { $set: { status: 'active' } }, { upsert: true });

    expect(await collection.findOne({}, { projection: { _id: 0 } })).toEqual({ status: 'active' });
  });

  it('fields of an $or are not seeded', async () => {
    const collection = freshCollection();

    await collection.updateOne({ $or: [{ a: 1 }, { b: 2 }] }, { $set: { c: 3 } }, { upsert: true });

    expect(await collection.findOne({}, { projection: { _id: 0 } })).toEqual({ c: 3 });
  });

  it('a replacement upsert inserts the replacement alone, not the filter fields', async () => {
    const collection = freshCollection();

    const result = await collection.replaceOne(
      { email: 'r@example.com' },
      { name: 'Replaced' },
      { upsert: true },
    );

    expect(result.upsertedCount).toBe(1);
    expect(await collection.findOne({}, { projection: { _id: 0 } })).toEqual({ name: 'Replaced' });
  });

  it('an upsert that finds a match updates it instead of inserting', async () => {
    const collection = freshCollection<{ _id: string; email: string; n: number }>();
    await collection.insertOne({ _id: 'here', email: 'here@example.com', n: 1 });

    const result = await collection.updateOne(
      { email: 'here@example.com' },
      { $inc: { n: 1 } },
      { upsert: true },
    );

    expect(result).toMatchObject({
      matchedCount: 1,
      modifiedCount: 1,
      upsertedCount: 0,
      upsertedId: null,
    });
    expect(await collection.find({}).toArray()).toEqual([
      { _id: 'here', email: 'here@example.com', n: 2 },
    ]);
  });
});

describe('_id is immutable', () => {
  let collection: Collection<TestDocument>;

  beforeEach(async () => {
    collection = freshCollection();
    await collection.insertOne({ _id: 'fixed', a: 1 });
  });

  it('$set on _id fails with ImmutableField (66) and changes nothing', async () => {
    const error = await captureServerError(
      collection.updateOne({ _id: 'fixed' }, { $set: { _id: 'moved', a: 2 } }),
    );

    expect(error.code).toBe(66);
    expect(error.message).toMatch(/immutable field '_id'/);
    expect(await collection.find({}).toArray()).toEqual([{ _id: 'fixed', a: 1 }]);
  });

  it('a replacement with another _id fails with ImmutableField (66)', async () => {
    const error = await captureServerError(
      collection.replaceOne({ _id: 'fixed' }, { _id: 'moved', a: 2 }),
    );

    expect(error.code).toBe(66);
    expect(error.message).toMatch(/\(immutable\) field '_id' was found to have been altered/);
    expect(await collection.find({}).toArray()).toEqual([{ _id: 'fixed', a: 1 }]);
  });

  it('a pipeline update that changes _id fails with ImmutableField (66)', async () => {
    const error = await captureServerError(
      collection.updateOne({ _id: 'fixed' }, [{ $set: { _id: 'moved' } }]),
    );

    expect(error.code).toBe(66);
    expect(await collection.find({}).toArray()).toEqual([{ _id: 'fixed', a: 1 }]);
  });

  it('setting _id to its current value is allowed', async () => {
    await expect(
      collection.updateOne({ _id: 'fixed' }, { $set: { _id: 'fixed', a: 2 } }),
    ).resolves.toMatchObject({ matchedCount: 1, modifiedCount: 1 });
    expect(await collection.find({}).toArray()).toEqual([{ _id: 'fixed', a: 2 }]);
  });

  it('the raw update command reports it as a write error of statement 0, not a failed command', async () => {
    const reply = await db.command({
      update: collection.collectionName,
      updates: [{ q: { _id: 'fixed' }, u: { $set: { _id: 'moved' } } }],
    });

    expect(reply).toMatchObject({ ok: 1, n: 0, nModified: 0 });
    expect(reply.writeErrors).toEqual([expect.objectContaining({ index: 0, code: 66 })]);
  });
});
