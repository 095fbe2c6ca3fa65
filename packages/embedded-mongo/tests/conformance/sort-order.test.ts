import {
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
import { connectClient } from './conformance-helpers';

const { uri, dbName } = testDatabase('sort_order');
let client: MongoClient;
let db: Db;

interface Labelled {
  _id: string;
  v?: unknown;
}

const lowObjectId = new ObjectId('000000000000000000000001');
const highObjectId = new ObjectId('ffffffffffffffffffffffff');

/**
 * One value of each kind, listed in MongoDB's ascending BSON comparison order: null (and a missing
 * field, which sorts as null), numbers of every type compared by value, strings by bytes,
 * embedded documents, ObjectIds, booleans, dates.
 */
const ascending: Labelled[] = [
  { _id: 'a-missing' },
  { _id: 'b-null', v: null },
  { _id: 'int-minus-1', v: new Int32(-1) },
  { _id: 'double-1.5', v: new Double(1.5) },
  { _id: 'double-2.25', v: new Double(2.25) },
  { _id: 'long-3', v: Long.fromNumber(3) },
  { _id: 'int-10', v: new Int32(10) },
  { _id: 'long-big', v: Long.fromString('9007199254740993') },
  { _id: 'string-10', v: '10' },
  { _id: 'string-B', v: 'B' },
  { _id: 'string-a', v: 'a' },
  { _id: 'string-ab', v: 'ab' },
  { _id: 'object-a1', v: { a: 1 } },
  { _id: 'object-a2', v: { a: 2 } },
  { _id: 'object-b0', v: { b: 0 } },
  { _id: 'objectid-low', v: lowObjectId },
  { _id: 'objectid-high', v: highObjectId },
  { _id: 'bool-false', v: false },
  { _id: 'bool-true', v: true },
  { _id: 'date-1970', v: new Date(0) },
  { _id: 'date-2030', v: new Date('2030-01-01T00:00:00Z') },
];
const ascendingIds = ascending.map((doc) => doc._id);

let values: Collection<Labelled>;

beforeAll(async () => {
  client = await connectClient(uri);
  db = client.db(dbName);
  values = db.collection<Labelled>('values');
  // Inserted shuffled, so that insertion order cannot pass for sort order.
  const shuffled = [...ascending].sort((left, right) => (left._id < right._id ? 1 : -1));
  await values.insertMany(shuffled);
});

afterAll(async () => {
  await db.dropDatabase();
  await client.close();
});

async function idsOf(filter: Filter<Labelled>, sort: Document = { _id: 1 }): Promise<string[]> {
  const found = await values.find(filter).sort(sort).toArray();
  return found.map((doc) => doc._id);
}

describe('sorting across BSON types', () => {
  it('ascending: null < numbers < strings < objects < ObjectIds < booleans < dates', async () => {
    // Missing and null sort equal; _id breaks the tie.
    await expect(idsOf({}, { v: 1, _id: 1 })).resolves.toEqual(ascendingIds);
  });

  it('descending is the exact reverse, ties still broken by _id ascending', async () => {
    const expected = [...ascendingIds.slice(2).reverse(), 'a-missing', 'b-null'];
    await expect(idsOf({}, { v: -1, _id: 1 })).resolves.toEqual(expected);
  });

  it('an array sorts by its smallest element ascending and by its largest descending', async () => {
    const arrays = db.collection<Labelled>('arrays');
    await arrays.insertMany([
      { _id: 'four', v: 4 },
      { _id: 'mixed', v: [5, 'z'] },
      { _id: 'six', v: 6 },
      { _id: 'y', v: 'y' },
      { _id: 'zz', v: 'zz' },
    ]);

    const up = await arrays.find({}).sort({ v: 1 }).toArray();
    const down = await arrays.find({}).sort({ v: -1 }).toArray();

    expect(up.map((doc) => doc._id)).toEqual(['four', 'mixed', 'six', 'y', 'zz']);
    expect(down.map((doc) => doc._id)).toEqual(['zz', 'mixed', 'y', 'six', 'four']);
  });

  it('aggregation $sort uses the same order', async () => {
    const sorted = await values.aggregate<Labelled>([{ $sort: { v: 1, _id: 1 } }]).toArray();
    expect(sorted.map((doc) => doc._id)).toEqual(ascendingIds);
  });

  it('aggregation comparisons place arrays after objects and before ObjectIds', async () => {
    const compared = await values
      .aggregate<{ _id: string; cmp: number }>([
        { $match: { v: { $exists: true } } },
        { $project: { cmp: { $cmp: ['$v', { $literal: [0] }] } } },
      ])
      .toArray();
    const cmpById = new Map(compared.map((doc) => [doc._id, doc.cmp]));

    const objectsEnd = ascendingIds.indexOf('object-b0');
    for (const [index, id] of ascendingIds.entries()) {
      if (id === 'a-missing') continue;
      expect([id, cmpById.get(id)]).toEqual([id, index <= objectsEnd ? -1 : 1]);
    }
  });
});

describe('range queries stay within one type', () => {
  const ranges: [string, Filter<Labelled>, string[]][] = [
    [
      '$gt a number matches only larger numbers, of any numeric type',
      { v: { $gt: 2 } },
      ['double-2.25', 'int-10', 'long-3', 'long-big'],
    ],
    [
      '$lte a number compares int, double and long by value',
      { v: { $lte: new Double(1.5) } },
      ['double-1.5', 'int-minus-1'],
    ],
    ['equality matches the same value stored as another numeric type', { v: 3 }, ['long-3']],
    [
      '$lt a string matches only smaller strings, by bytes',
      { v: { $lt: 'a' } },
      ['string-10', 'string-B'],
    ],
    ['$gte a date matches only dates', { v: { $gte: new Date(0) } }, ['date-1970', 'date-2030']],
    ['$gt false matches only true', { v: { $gt: false } }, ['bool-true']],
    [
      '$gt an ObjectId matches only larger ObjectIds',
      { v: { $gt: lowObjectId } },
      ['objectid-high'],
    ],
    [
      '$gte an object compares embedded documents',
      { v: { $gte: { a: 2 } } },
      ['object-a2', 'object-b0'],
    ],
    ['$lte null matches null and missing', { v: { $lte: null } }, ['a-missing', 'b-null']],
    [
      '$in mixes types freely',
      { v: { $in: [10, 'a', true] } },
      ['bool-true', 'int-10', 'string-a'],
    ],
  ];

  it.each(ranges)('%s', async (_label, filter, expected) => {
    await expect(idsOf(filter)).resolves.toEqual(expected);
  });
});
