import { type Collection, type Db, type Document, type MongoClient } from 'mongodb';
import { testDatabase } from '../helpers/test-database';
import {
  connectClient,
  recordCommands,
  type CommandLog,
  type TestDocument,
} from './conformance-helpers';

const { uri, dbName } = testDatabase('aggregate');
let client: MongoClient;
let commands: CommandLog;
let db: Db;

interface Sale {
  _id: number;
  item: string;
  region: string;
  qty: number;
  price: number;
  tags: string[];
  address?: { city: string };
}

const sales: Sale[] = [
  {
    _id: 1,
    item: 'apple',
    region: 'north',
    qty: 5,
    price: 2,
    tags: ['fruit', 'red'],
    address: { city: 'Oslo' },
  },
  {
    _id: 2,
    item: 'pear',
    region: 'north',
    qty: 2,
    price: 3,
    tags: ['fruit'],
    address: { city: 'Bergen' },
  },
  {
    _id: 3,
    item: 'apple',
    region: 'south',
    qty: 10,
    price: 2,
    tags: ['fruit', 'red'],
    address: { city: 'Oslo' },
  },
  { _id: 4, item: 'kale', region: 'south', qty: 1, price: 4, tags: ['green'] },
  { _id: 5, item: 'apple', region: 'east', qty: 3, price: 1, tags: [] },
];

let collection: Collection<Sale>;

beforeAll(async () => {
  client = await connectClient(uri, { monitorCommands: true });
  commands = recordCommands(client);
  db = client.db(dbName);
  collection = db.collection<Sale>('sales');
  await collection.insertMany(sales);
});

afterAll(async () => {
  await db.dropDatabase();
  await client.close();
});

beforeEach(() => commands.clear());

describe('aggregate', () => {
  it('$match, $sort, $group with accumulators, $sort again', async () => {
    const totals = await collection
      .aggregate([
        { $match: { qty: { $gte: 2 } } },
        { $sort: { _id: 1 } },
        {
          $group: {
            _id: '$item',
            totalQty: { $sum: '$qty' },
            revenue: { $sum: { $multiply: ['$qty', '$price'] } },
            orders: { $sum: 1 },
            avgQty: { $avg: '$qty' },
            maxQty: { $max: '$qty' },
            regions: { $push: '$region' },
          },
        },
        { $sort: { totalQty: -1 } },
      ])
      .toArray();

    expect(totals).toEqual([
      {
        _id: 'apple',
        totalQty: 18,
        revenue: 33,
        orders: 3,
        avgQty: 6,
        maxQty: 10,
        regions: ['north', 'south', 'east'],
      },
      { _id: 'pear', totalQty: 2, revenue: 6, orders: 1, avgQty: 2, maxQty: 2, regions: ['north'] },
    ]);
  });

  it('$group with _id null summarises the whole collection', async () => {
    const [summary] = await collection
      .aggregate([{ $group: { _id: null, qty: { $sum: '$qty' }, min: { $min: '$price' } } }])
      .toArray();

    expect(summary).toEqual({ _id: null, qty: 21, min: 1 });
  });

  it('$sort, $skip and $limit page the results', async () => {
    const page = await collection
      .aggregate([{ $sort: { qty: 1 } }, { $skip: 1 }, { $limit: 2 }, { $project: { _id: 1 } }])
      .toArray();

    expect(page).toEqual([{ _id: 2 }, { _id: 5 }]);
  });

  it('$project includes, excludes, renames and computes fields', async () => {
    const projected = await collection
      .aggregate([
        { $match: { _id: 1 } },
        {
          $project: {
            _id: 0,
            item: 1,
            city: '$address.city',
            total: { $multiply: ['$qty', '$price'] },
            upper: { $toUpper: '$item' },
          },
        },
      ])
      .toArray();

    expect(projected).toEqual([{ item: 'apple', city: 'Oslo', total: 10, upper: 'APPLE' }]);
  });

  it('$addFields and $unwind', async () => {
    const unwound = await collection
      .aggregate([
        { $match: { item: 'apple' } },
        { $unwind: '$tags' },
        { $addFields: { tagged: { $concat: ['$item', ':', '$tags'] } } },
        { $project: { _id: 1, tagged: 1 } },
        { $sort: { _id: 1, tagged: 1 } },
      ])
      .toArray();

    // The apple with no tags disappears: $unwind drops empty arrays by default.
    expect(unwound).toEqual([
      { _id: 1, tagged: 'apple:fruit' },
      { _id: 1, tagged: 'apple:red' },
      { _id: 3, tagged: 'apple:fruit' },
      { _id: 3, tagged: 'apple:red' },
    ]);
  });

  it('$group with $first, $last and $addToSet', async () => {
    const groups = await collection
      .aggregate([
        { $sort: { _id: 1 } },
        {
          $group: {
            _id: '$region',
            first: { $first: '$item' },
            last: { $last: '$item' },
            items: { $addToSet: '$item' },
          },
        },
        { $sort: { _id: 1 } },
      ])
      .toArray();

    expect(groups.map((group) => ({ ...group, items: [...group.items].sort() }))).toEqual([
      { _id: 'east', first: 'apple', last: 'apple', items: ['apple'] },
      { _id: 'north', first: 'apple', last: 'pear', items: ['apple', 'pear'] },
      { _id: 'south', first: 'apple', last: 'kale', items: ['apple', 'kale'] },
    ]);
  });

  it('$replaceRoot promotes an embedded document', async () => {
    const cities = await collection
      .aggregate([
        { $match: { address: { $exists: true } } },
        { $sort: { _id: 1 } },
        { $replaceRoot: { newRoot: '$address' } },
      ])
      .toArray();

    expect(cities).toEqual([{ city: 'Oslo' }, { city: 'Bergen' }, { city: 'Oslo' }]);
  });

  it('$count names the count field', async () => {
    await expect(
      collection.aggregate([{ $match: { item: 'apple' } }, { $count: 'apples' }]).toArray(),
    ).resolves.toEqual([{ apples: 3 }]);
  });

  it('$count over no documents returns no document at all', async () => {
    await expect(
      collection.aggregate([{ $match: { item: 'durian' } }, { $count: 'n' }]).toArray(),
    ).resolves.toEqual([]);
  });

  it('an aggregate over a missing collection returns nothing', async () => {
    await expect(
      db
        .collection<TestDocument>('nothing_here')
        .aggregate([{ $match: {} }])
        .toArray(),
    ).resolves.toEqual([]);
  });

  it('large results come back in batches through getMore', async () => {
    const many = db.collection<{ _id: number }>('many');
    await many.insertMany(Array.from({ length: 120 }, (_, index) => ({ _id: index })));

    const seen = await many.aggregate([{ $sort: { _id: 1 } }], { batchSize: 25 }).toArray();

    expect(seen.map((doc) => doc._id)).toEqual(Array.from({ length: 120 }, (_, index) => index));
    expect(commands.named('getMore').length).toBeGreaterThanOrEqual(4);
  });

  it('the raw aggregate reply is a cursor with a firstBatch', async () => {
    const reply = await db.command({
      aggregate: 'sales',
      pipeline: [{ $match: { region: 'north' } }, { $sort: { _id: 1 } }, { $project: { _id: 1 } }],
      cursor: {},
    });

    expect(reply).toMatchObject({
      ok: 1,
      cursor: { ns: `${dbName}.sales`, firstBatch: [{ _id: 1 }, { _id: 2 }], id: 0 },
    });
  });
});

describe('counting', () => {
  const counts: [string, Document, { skip?: number; limit?: number }, number][] = [
    ['every document', {}, {}, 5],
    ['documents matching a filter', { item: 'apple' }, {}, 3],
    ['with skip', { item: 'apple' }, { skip: 1 }, 2],
    ['with limit', {}, { limit: 2 }, 2],
    ['with skip past the end', {}, { skip: 10 }, 0],
    ['with nothing matching', { item: 'durian' }, {}, 0],
  ];

  it.each(counts)('countDocuments counts %s', async (_label, filter, options, expected) => {
    await expect(collection.countDocuments(filter, options)).resolves.toBe(expected);
  });

  it('estimatedDocumentCount uses the count command and returns the collection size', async () => {
    await expect(collection.estimatedDocumentCount()).resolves.toBe(5);
    expect(commands.named('count')).toHaveLength(1);
  });

  it('the raw count command honours query, skip and limit', async () => {
    await expect(db.command({ count: 'sales' })).resolves.toMatchObject({ ok: 1, n: 5 });
    await expect(
      db.command({ count: 'sales', query: { item: 'apple' }, skip: 1, limit: 1 }),
    ).resolves.toMatchObject({ ok: 1, n: 1 });
  });

  it('counts zero in a missing collection', async () => {
    await expect(db.collection<TestDocument>('nothing_here').countDocuments()).resolves.toBe(0);
    await expect(db.command({ count: 'nothing_here' })).resolves.toMatchObject({ ok: 1, n: 0 });
  });
});

describe('distinct', () => {
  it('returns each value once', async () => {
    const items = await collection.distinct('item');
    expect([...items].sort()).toEqual(['apple', 'kale', 'pear']);
  });

  it('honours a filter', async () => {
    const items = await collection.distinct('item', { region: 'north' });
    expect([...items].sort()).toEqual(['apple', 'pear']);
  });

  it('looks inside arrays', async () => {
    const tags = await collection.distinct('tags');
    expect([...tags].sort()).toEqual(['fruit', 'green', 'red']);
  });

  it('follows dotted paths and skips documents without the field', async () => {
    const cities = await collection.distinct('address.city');
    expect([...cities].sort()).toEqual(['Bergen', 'Oslo']);
  });

  it('the raw reply is { values, ok: 1 }; a missing collection has no values', async () => {
    const reply = await db.command({
      distinct: 'sales',
      key: 'region',
      query: { qty: { $gt: 2 } },
    });
    expect(reply.ok).toBe(1);
    expect([...(reply.values as string[])].sort()).toEqual(['east', 'north', 'south']);

    await expect(db.command({ distinct: 'nothing_here', key: 'a' })).resolves.toMatchObject({
      ok: 1,
      values: [],
    });
  });
});
