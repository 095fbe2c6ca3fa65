import { type Collection, type Db, type MongoClient } from 'mongodb';
import { testDatabase } from '../helpers/test-database';
import { at, captureServerError, connectClient } from './conformance-helpers';

const { uri, dbName } = testDatabase('concurrency');
const clientCount = 4;
let clients: MongoClient[] = [];
let db: Db;

interface Counter {
  key: string;
  count: number;
}

beforeAll(async () => {
  clients = await Promise.all(Array.from({ length: clientCount }, () => connectClient(uri)));
  db = at(clients, 0).db(dbName);
});

afterAll(async () => {
  await db.dropDatabase();
  await Promise.all(clients.map((client) => client.close()));
});

/** The same collection seen through each of the clients (each with its own connections). */
function collectionPerClient(name: string): Collection<Counter>[] {
  return clients.map((client) => client.db(dbName).collection<Counter>(name));
}

/** `total` operations spread round-robin over the clients, all started at once. */
function concurrently<T>(
  total: number,
  operation: (collection: Collection<Counter>, index: number) => Promise<T>,
  collections: Collection<Counter>[],
): Promise<PromiseSettledResult<T>[]> {
  return Promise.allSettled(
    Array.from({ length: total }, (_, index) =>
      operation(at(collections, index % collections.length), index),
    ),
  );
}

describe('concurrent writes to one unique key', () => {
  it('20 concurrent upserts with $inc make one document counting 20', async () => {
    const collections = collectionPerClient('upsert_counters');
    await at(collections, 0).createIndex({ key: 1 }, { unique: true });

    const results = await concurrently(
      20,
      (collection) =>
        collection.updateOne({ key: 'shared' }, { $inc: { count: 1 } }, { upsert: true }),
      collections,
    );

    // mongod (4.2+) retries an upsert that lost the insert race on an equality match of the
    // unique key, so no caller sees a duplicate key error.
    expect(results.filter((result) => result.status === 'rejected')).toEqual([]);
    const documents = await at(collections, 0).find({}).toArray();
    expect(documents).toHaveLength(1);
    expect(documents[0]).toMatchObject({ key: 'shared', count: 20 });
  });

  it('20 concurrent findOneAndUpdate upserts each see a distinct count from 1 to 20', async () => {
    const collections = collectionPerClient('fam_counters');
    await at(collections, 0).createIndex({ key: 1 }, { unique: true });

    const results = await concurrently(
      20,
      (collection) =>
        collection.findOneAndUpdate(
          { key: 'shared' },
          { $inc: { count: 1 } },
          { upsert: true, returnDocument: 'after' },
        ),
      collections,
    );

    const counts = results.map((result) =>
      result.status === 'fulfilled' ? result.value?.count : `rejected: ${String(result.reason)}`,
    );
    expect([...counts].sort((left, right) => Number(left) - Number(right))).toEqual(
      Array.from({ length: 20 }, (_, index) => index + 1),
    );
    expect(await at(collections, 0).countDocuments()).toBe(1);
  });

  it('20 concurrent inserts of one unique value: exactly one succeeds, the rest get 11000', async () => {
    const collections = collectionPerClient('insert_race');
    await at(collections, 0).createIndex({ key: 1 }, { unique: true });

    const results = await concurrently(
      20,
      (collection, index) => collection.insertOne({ key: 'only-once', count: index }),
      collections,
    );

    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    const codes = await Promise.all(
      results
        .filter((result) => result.status === 'rejected')
        .map(async (result) => (await captureServerError(Promise.reject(result.reason))).code),
    );
    expect(codes).toEqual(Array.from({ length: 19 }, () => 11000));
    expect(await at(collections, 0).countDocuments()).toBe(1);
  });

  it('concurrent $inc on one existing document loses no increment', async () => {
    const collections = collectionPerClient('inc_only');
    await at(collections, 0).insertOne({ key: 'hot', count: 0 });

    const results = await concurrently(
      100,
      (collection) => collection.updateOne({ key: 'hot' }, { $inc: { count: 1 } }),
      collections,
    );

    expect(results.every((result) => result.status === 'fulfilled')).toBe(true);
    expect(await at(collections, 0).findOne({ key: 'hot' })).toMatchObject({ count: 100 });
  });
});

describe('many connections', () => {
  it('serves 200 inserts and reads in flight at once over many sockets', async () => {
    const collections = collectionPerClient('parallel');

    const inserts = await concurrently(
      200,
      (collection, index) => collection.insertOne({ key: `k${index}`, count: index }),
      collections,
    );
    expect(inserts.every((result) => result.status === 'fulfilled')).toBe(true);

    const reads = await concurrently(
      200,
      (collection, index) => collection.findOne({ key: `k${index}` }),
      collections,
    );
    const counts = reads.map((result) =>
      result.status === 'fulfilled' ? result.value?.count : undefined,
    );
    expect(counts).toEqual(Array.from({ length: 200 }, (_, index) => index));
  });

  it('a client that disconnects leaves the others unaffected', async () => {
    const leaving = await connectClient(uri);
    await leaving.db(dbName).collection('parallel').findOne({});
    await leaving.close();

    await expect(at(clients, 1).db(dbName).command({ ping: 1 })).resolves.toMatchObject({ ok: 1 });
  });
});
