import { type Db, type MongoClient } from 'mongodb';
import { testDatabase } from '../helpers/test-database';
import { connectClient, waitUntil, type TestDocument } from './conformance-helpers';

const { uri, dbName } = testDatabase('ttl');
let client: MongoClient;
let db: Db;
let previousSleepSecs: number;

beforeAll(async () => {
  client = await connectClient(uri);
  db = client.db(dbName);
  // mongod's TTL monitor wakes every 60 s by default; one second keeps this file fast. The
  // parameter is server-wide, so the previous value is put back afterwards.
  const current = await client.db('admin').command({ getParameter: 1, ttlMonitorSleepSecs: 1 });
  previousSleepSecs = Number(current.ttlMonitorSleepSecs);
  await client.db('admin').command({ setParameter: 1, ttlMonitorSleepSecs: 1 });
});

afterAll(async () => {
  await client.db('admin').command({ setParameter: 1, ttlMonitorSleepSecs: previousSleepSecs });
  await db.dropDatabase();
  await client.close();
});

describe('server parameters for the TTL monitor', () => {
  it('getParameter reads ttlMonitorSleepSecs and setParameter reports the value it replaced', async () => {
    const admin = client.db('admin');

    const read = await admin.command({ getParameter: 1, ttlMonitorSleepSecs: 1 });
    expect(read).toMatchObject({ ok: 1, ttlMonitorSleepSecs: 1 });

    const set = await admin.command({ setParameter: 1, ttlMonitorSleepSecs: 1 });
    expect(set).toMatchObject({ ok: 1, was: 1 });
  });
});

describe('TTL expiry', () => {
  it('removes documents whose date is past, keeps the rest', async () => {
    const sessions = db.collection<TestDocument>('sessions');
    await sessions.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 });
    const hourMs = 60 * 60 * 1000;
    await sessions.insertMany([
      { _id: 'expired', expiresAt: new Date(Date.now() - hourMs) },
      { _id: 'expired-in-array', expiresAt: [new Date(Date.now() + hourMs), new Date(0)] },
      { _id: 'future', expiresAt: new Date(Date.now() + hourMs) },
      { _id: 'not-a-date', expiresAt: 'yesterday' },
      { _id: 'no-date' },
    ]);

    await waitUntil(async () => (await sessions.countDocuments({ _id: /^expired/ })) === 0, {
      timeoutMs: 10_000,
    });

    const left = await sessions.find({}).sort({ _id: 1 }).toArray();
    expect(left.map((doc) => doc._id)).toEqual(['future', 'no-date', 'not-a-date']);
  });

  it('counts expireAfterSeconds from the indexed date', async () => {
    const tokens = db.collection<TestDocument>('tokens');
    await tokens.createIndex({ createdAt: 1 }, { expireAfterSeconds: 3600 });
    await tokens.insertMany([
      { _id: 'two-hours-old', createdAt: new Date(Date.now() - 2 * 3600 * 1000) },
      { _id: 'one-minute-old', createdAt: new Date(Date.now() - 60 * 1000) },
    ]);

    await waitUntil(async () => (await tokens.countDocuments({ _id: 'two-hours-old' })) === 0, {
      timeoutMs: 10_000,
    });

    expect(await tokens.countDocuments({ _id: 'one-minute-old' })).toBe(1);
  });
});
