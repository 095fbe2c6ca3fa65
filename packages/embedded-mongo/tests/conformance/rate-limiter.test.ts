import mongoose, { type Connection } from 'mongoose';
import { type Db, type MongoClient } from 'mongodb';
import { RateLimiterMongo, RateLimiterRes } from 'rate-limiter-flexible';
import { testDatabase } from '../helpers/test-database';
import { connectClient } from './conformance-helpers';

const { uri, dbName } = testDatabase('rate_limiter');
let client: MongoClient;
let db: Db;
let limiterCounter = 0;

beforeAll(async () => {
  client = await connectClient(uri);
  db = client.db(dbName);
});

afterAll(async () => {
  await db.dropDatabase();
  await client.close();
});

interface LimiterOptions {
  points: number;
  duration: number;
  blockDuration?: number;
}

/**
 * A limiter on its own collection of the test database. Index creation is awaited here instead
 * of being left to the constructor's fire-and-forget call, so the unique `key` index exists
 * before the first consume.
 */
async function createLimiter(
  options: LimiterOptions,
): Promise<{ limiter: RateLimiterMongo; tableName: string }> {
  limiterCounter += 1;
  const tableName = `rate_limits_${limiterCounter}`;
  const limiter = new RateLimiterMongo({
    storeClient: client,
    dbName,
    tableName,
    keyPrefix: 'login',
    disableIndexesCreation: true,
    ...options,
  });
  await limiter.createIndexes();
  return { limiter, tableName };
}

/** consume() resolves when allowed and rejects with a RateLimiterRes when limited. */
async function consume(
  limiter: RateLimiterMongo,
  key: string,
  points = 1,
): Promise<{ allowed: boolean; res: RateLimiterRes }> {
  try {
    return { allowed: true, res: await limiter.consume(key, points) };
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) return { allowed: false, res: rejection };
    throw rejection;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('RateLimiterMongo on the driver client', () => {
  it('creates a TTL index on expire and a unique index on key', async () => {
    const { tableName } = await createLimiter({ points: 1, duration: 60 });

    const indexes = await db.collection(tableName).listIndexes().toArray();
    expect(indexes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ key: { expire: -1 }, expireAfterSeconds: 0 }),
        expect.objectContaining({ key: { key: 1 }, unique: true }),
      ]),
    );
  });

  it('allows consumes up to the limit and rejects the next one with a RateLimiterRes', async () => {
    const { limiter, tableName } = await createLimiter({ points: 3, duration: 60 });

    const outcomes = [];
    for (let attempt = 0; attempt < 4; attempt += 1) outcomes.push(await consume(limiter, 'ann'));

    expect(outcomes.map((outcome) => outcome.allowed)).toEqual([true, true, true, false]);
    expect(outcomes.map((outcome) => outcome.res.remainingPoints)).toEqual([2, 1, 0, 0]);
    expect(outcomes[0]?.res.isFirstInDuration).toBe(true);
    const rejected = outcomes[3]?.res;
    expect(rejected?.consumedPoints).toBe(4);
    expect(rejected?.msBeforeNext).toBeGreaterThan(0);
    expect(rejected?.msBeforeNext).toBeLessThanOrEqual(60_000);

    const stored = await db.collection(tableName).findOne({ key: 'login:ann' });
    expect(stored).toMatchObject({ key: 'login:ann', points: 4 });
    expect(stored?.expire).toBeInstanceOf(Date);
  });

  it('keeps separate counts per key', async () => {
    const { limiter } = await createLimiter({ points: 1, duration: 60 });

    expect((await consume(limiter, 'ann')).allowed).toBe(true);
    expect((await consume(limiter, 'bob')).allowed).toBe(true);
    expect((await consume(limiter, 'ann')).allowed).toBe(false);
  });

  it('starts a fresh window once the previous one has expired', async () => {
    const { limiter, tableName } = await createLimiter({ points: 1, duration: 1 });
    expect((await consume(limiter, 'ann')).allowed).toBe(true);
    expect((await consume(limiter, 'ann')).allowed).toBe(false);

    await sleep(1_100);
    // The stale document is still there (the TTL monitor is slow); the limiter's upsert hits the
    // unique key index, gets E11000 and replaces the expired document.
    const fresh = await consume(limiter, 'ann');

    expect(fresh.allowed).toBe(true);
    expect(fresh.res.consumedPoints).toBe(1);
    expect(await db.collection(tableName).countDocuments({ key: 'login:ann' })).toBe(1);
  });

  it('blockDuration keeps the key blocked in the store beyond the window', async () => {
    const { limiter, tableName } = await createLimiter({
      points: 2,
      duration: 1,
      blockDuration: 30,
    });
    await consume(limiter, 'ann');
    await consume(limiter, 'ann');

    const blocked = await consume(limiter, 'ann');
    expect(blocked.allowed).toBe(false);
    expect(blocked.res.msBeforeNext).toBeGreaterThan(25_000);

    const stored = await db.collection(tableName).findOne({ key: 'login:ann' });
    expect((stored?.expire as Date).getTime() - Date.now()).toBeGreaterThan(25_000);

    await sleep(1_100);
    const stillBlocked = await consume(limiter, 'ann');
    expect(stillBlocked.allowed).toBe(false);
    expect(stillBlocked.res.msBeforeNext).toBeGreaterThan(25_000);
  });

  it('block() blocks a key that has not consumed anything', async () => {
    const { limiter } = await createLimiter({ points: 5, duration: 60 });

    await limiter.block('mallory', 20);

    const attempt = await consume(limiter, 'mallory');
    expect(attempt.allowed).toBe(false);
    expect(attempt.res.msBeforeNext).toBeGreaterThan(15_000);
  });

  it('penalty adds points and reward takes them back', async () => {
    const { limiter } = await createLimiter({ points: 5, duration: 60 });
    await consume(limiter, 'ann');

    await expect(limiter.penalty('ann', 3)).resolves.toMatchObject({ consumedPoints: 4 });
    await expect(limiter.get('ann')).resolves.toMatchObject({
      consumedPoints: 4,
      remainingPoints: 1,
    });
    await expect(limiter.reward('ann', 4)).resolves.toMatchObject({ consumedPoints: 0 });
    await expect(limiter.get('ann')).resolves.toMatchObject({
      consumedPoints: 0,
      remainingPoints: 5,
    });
  });

  it('delete forgets the key; get then returns null', async () => {
    const { limiter, tableName } = await createLimiter({ points: 1, duration: 60 });
    await consume(limiter, 'ann');
    expect((await consume(limiter, 'ann')).allowed).toBe(false);

    await expect(limiter.delete('ann')).resolves.toBe(true);
    await expect(limiter.delete('ann')).resolves.toBe(false);
    await expect(limiter.get('ann')).resolves.toBeNull();
    expect(await db.collection(tableName).countDocuments()).toBe(0);
    expect((await consume(limiter, 'ann')).allowed).toBe(true);
  });

  it('counts every one of 10 concurrent consumes: 5 allowed, 5 rejected', async () => {
    const { limiter, tableName } = await createLimiter({ points: 5, duration: 60 });

    const outcomes = await Promise.all(Array.from({ length: 10 }, () => consume(limiter, 'burst')));

    expect(outcomes.filter((outcome) => outcome.allowed)).toHaveLength(5);
    expect(
      outcomes.map((outcome) => outcome.res.consumedPoints).sort((left, right) => left - right),
    ).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(await db.collection(tableName).findOne({ key: 'login:burst' })).toMatchObject({
      points: 10,
    });
  });
});

describe('RateLimiterMongo on a Mongoose connection', () => {
  let connection: Connection;

  beforeAll(async () => {
    connection = await mongoose
      .createConnection(uri, { dbName, serverSelectionTimeoutMS: 5_000 })
      .asPromise();
  });

  afterAll(async () => {
    await connection.close();
  });

  it('consumes and limits through the connection', async () => {
    const limiter = new RateLimiterMongo({
      storeClient: connection,
      tableName: 'mongoose_rate_limits',
      points: 2,
      duration: 60,
      disableIndexesCreation: true,
    });
    await limiter.createIndexes();

    const outcomes = [];
    for (let attempt = 0; attempt < 3; attempt += 1) outcomes.push(await consume(limiter, 'eve'));

    expect(outcomes.map((outcome) => outcome.allowed)).toEqual([true, true, false]);
    expect(await db.collection('mongoose_rate_limits').findOne({ key: 'rlflx:eve' })).toMatchObject(
      { points: 3 },
    );
  });
});
