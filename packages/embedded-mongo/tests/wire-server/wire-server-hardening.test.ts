import { MongoClient, MongoServerError, type Db, type Document } from 'mongodb';
import { serverError } from '../helpers/server-error';
import { startWireServer, type WireServer } from '../../src';

let server: WireServer;
let client: MongoClient;
let db: Db;

beforeAll(async () => {
  server = await startWireServer();
  client = await MongoClient.connect(server.uri);
  db = client.db('hardening');
});
afterAll(async () => {
  await client.close();
  await server.stop();
});

describe('wire server hardening', () => {
  it('treats __proto__ in update paths as a field name, never reaching Object.prototype', async () => {
    const collection = db.collection('proto');
    await collection.insertOne({ a: 1 });
    await collection.updateOne({}, { $set: { '__proto__.polluted': true } }, { upsert: true });
    // mingo refuses __proto__ in a filter outright: an error, never a write through it.
    await expect(
      collection.updateOne({ '__proto__.viaFilter': true }, { $set: { b: 1 } }, { upsert: true }),
    ).rejects.toBeInstanceOf(MongoServerError);
    await collection.updateOne({}, { $unset: { '__proto__.toString': '' } });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).viaFilter).toBeUndefined();
    expect(typeof Object.prototype.toString).toBe('function');
    await expect(db.command({ ping: 1 })).resolves.toMatchObject({ ok: 1 });
  });

  it.each([
    ['a plain string', 'x'],
    ['a number', 5],
  ])(
    'refuses a filter on a field named __proto__ (equal to %s) with BadValue, deleting nothing',
    async (_label, value) => {
      const collection = db.collection(`proto_filter_${String(value)}`);
      await collection.insertMany([{ a: 1 }, { a: 2 }]);
      const filter = { ['__proto__']: value } as Document;
      // A write error carries no codeName: code 2 is BadValue.
      const deleting = collection.deleteMany(filter);
      await expect(deleting).rejects.toMatchObject({ code: 2 });
      await expect(deleting).rejects.toThrow(
        "Accessing __proto__ is not allowed in selector: '__proto__'.",
      );
      await expect(collection.find({ $or: [filter] }).toArray()).rejects.toMatchObject({
        code: 2,
        codeName: 'BadValue',
      });
      expect(await collection.countDocuments()).toBe(2);
    },
  );

  it('finds a field named __proto__ inside $elemMatch and $and too, and leaves values alone', async () => {
    const collection = db.collection('proto_nested');
    await collection.insertOne({ a: [{ b: 1 }] });
    const named = { ['__proto__']: 1 } as Document;
    for (const filter of [{ a: { $elemMatch: named } }, { $and: [named] }]) {
      await expect(collection.find(filter).toArray()).rejects.toMatchObject({ code: 2 });
    }
    // An embedded document compared for equality is data: mingo compares it, nothing more.
    await expect(collection.find({ a: named }).toArray()).resolves.toEqual([]);
  });

  it.each([
    ['a document _id', { _id: { a: 'x,"b":sy' } }, { _id: { a: 'x', b: 'y' } }, undefined],
    ['a compound key', { a: 'p\u0000sq', b: 'r' }, { a: 'p', b: 'q\u0000sr' }, { a: 1, b: 1 }],
    ['an array element', { t: ['a,sb'] }, { t: ['a', 'b'] }, { t: 1 }],
  ])(
    'does not confuse distinct values of %s that share separators',
    async (_label, first, second, key) => {
      const collection = db.collection<Document>(`separators_${String(Math.random()).slice(2)}`);
      if (key) await collection.createIndex(key, { unique: true });
      await collection.insertOne(first as Document);
      await expect(collection.insertOne(second as Document)).resolves.toMatchObject({
        acknowledged: true,
      });
      expect(await collection.countDocuments()).toBe(2);
    },
  );

  it('refuses parallel arrays in a compound index with code 171, quickly', async () => {
    const collection = db.collection('parallel');
    await collection.createIndex({ a: 1, b: 1, c: 1 });
    const values = Array.from({ length: 200 }, (_, index) => index);
    const started = Date.now();
    const error = await serverError(collection.insertOne({ a: values, b: values, c: values }));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(error.code).toBe(171);
    expect(error.message).toMatch(/cannot index parallel arrays/);
    expect(await collection.countDocuments()).toBe(0);
    await collection.insertOne({ a: values, b: 1, c: 2 });
    expect(await collection.countDocuments()).toBe(1);
  });

  it.each([[3e6], [0.5], [0]])('refuses ttlMonitorSleepSecs %p', async (seconds) => {
    const error = await serverError(
      client.db('admin').command({ setParameter: 1, ttlMonitorSleepSecs: seconds }),
    );
    expect(error.code).toBe(2);
  });
});
