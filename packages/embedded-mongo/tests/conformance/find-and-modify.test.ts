import { ObjectId, type Collection, type Db, type MongoClient } from 'mongodb';
import { testDatabase } from '../helpers/test-database';
import { captureServerError, connectClient } from './conformance-helpers';

const { uri, dbName } = testDatabase('find_and_modify');
let client: MongoClient;
let db: Db;

interface Player {
  _id: string;
  team: string;
  score: number;
  secret?: string;
}

let collection: Collection<Player>;

beforeAll(async () => {
  client = await connectClient(uri);
  db = client.db(dbName);
  collection = db.collection<Player>('players');
});

afterAll(async () => {
  await db.dropDatabase();
  await client.close();
});

beforeEach(async () => {
  await collection.deleteMany({});
  await collection.insertMany([
    { _id: 'p1', team: 'red', score: 10, secret: 'x' },
    { _id: 'p2', team: 'red', score: 30, secret: 'y' },
    { _id: 'p3', team: 'blue', score: 20, secret: 'z' },
  ]);
});

describe('findOneAndUpdate', () => {
  it('returns the document as it was before the update by default', async () => {
    const before = await collection.findOneAndUpdate({ _id: 'p1' }, { $inc: { score: 5 } });

    expect(before).toEqual({ _id: 'p1', team: 'red', score: 10, secret: 'x' });
    expect((await collection.findOne({ _id: 'p1' }))?.score).toBe(15);
  });

  it("returns the updated document with returnDocument: 'after'", async () => {
    const after = await collection.findOneAndUpdate(
      { _id: 'p1' },
      { $inc: { score: 5 } },
      { returnDocument: 'after' },
    );

    expect(after).toEqual({ _id: 'p1', team: 'red', score: 15, secret: 'x' });
  });

  it('with a sort, modifies the first document in that order', async () => {
    const top = await collection.findOneAndUpdate(
      { team: 'red' },
      { $set: { secret: 'top' } },
      { sort: { score: -1 }, returnDocument: 'after' },
    );

    expect(top?._id).toBe('p2');
    expect((await collection.findOne({ _id: 'p1' }))?.secret).toBe('x');
  });

  it('applies the projection to the returned document only', async () => {
    const projected = await collection.findOneAndUpdate(
      { _id: 'p3' },
      { $set: { score: 21 } },
      { projection: { score: 1, _id: 0 }, returnDocument: 'after' },
    );

    expect(projected).toEqual({ score: 21 });
    expect(await collection.findOne({ _id: 'p3' })).toEqual({
      _id: 'p3',
      team: 'blue',
      score: 21,
      secret: 'z',
    });
  });

  it('returns null and changes nothing when nothing matches', async () => {
    await expect(
      collection.findOneAndUpdate({ _id: 'nobody' }, { $set: { score: 1 } }),
    ).resolves.toBeNull();
    expect(await collection.countDocuments()).toBe(3);
  });

  it('upsert with returnDocument after returns the inserted document', async () => {
    const inserted = await collection.findOneAndUpdate(
      { _id: 'p4' },
      { $set: { team: 'green' }, $setOnInsert: { score: 0 } },
      { upsert: true, returnDocument: 'after' },
    );

    expect(inserted).toEqual({ _id: 'p4', team: 'green', score: 0 });
  });

  it('upsert with returnDocument before returns null but still inserts', async () => {
    const before = await collection.findOneAndUpdate(
      { _id: 'p5' },
      { $set: { team: 'green', score: 1 } },
      { upsert: true, returnDocument: 'before' },
    );

    expect(before).toBeNull();
    expect(await collection.findOne({ _id: 'p5' })).toEqual({ _id: 'p5', team: 'green', score: 1 });
  });

  it('accepts a pipeline update', async () => {
    const after = await collection.findOneAndUpdate(
      { _id: 'p1' },
      [{ $set: { score: { $multiply: ['$score', 3] } } }],
      { returnDocument: 'after' },
    );

    expect(after?.score).toBe(30);
  });

  it('modifying _id fails with ImmutableField (66) as a command error', async () => {
    const error = await captureServerError(
      collection.findOneAndUpdate({ _id: 'p1' }, { $set: { _id: 'moved' } }),
    );

    expect(error.code).toBe(66);
    expect(error.codeName).toBe('ImmutableField');
    expect(await collection.findOne({ _id: 'p1' })).not.toBeNull();
  });
});

describe('findOneAndReplace', () => {
  it('replaces the document and keeps its _id', async () => {
    const after = await collection.findOneAndReplace(
      { _id: 'p2' },
      { team: 'blue', score: 0 },
      { returnDocument: 'after' },
    );

    expect(after).toEqual({ _id: 'p2', team: 'blue', score: 0 });
  });
});

describe('findOneAndDelete', () => {
  it('removes and returns the first document in sort order', async () => {
    const removed = await collection.findOneAndDelete({ team: 'red' }, { sort: { score: 1 } });

    expect(removed).toEqual({ _id: 'p1', team: 'red', score: 10, secret: 'x' });
    expect((await collection.find({}).sort({ _id: 1 }).toArray()).map((doc) => doc._id)).toEqual([
      'p2',
      'p3',
    ]);
  });

  it('returns null when nothing matches', async () => {
    await expect(collection.findOneAndDelete({ team: 'none' })).resolves.toBeNull();
    expect(await collection.countDocuments()).toBe(3);
  });
});

describe('the raw findAndModify reply', () => {
  it('describes an update in lastErrorObject', async () => {
    const reply = await db.command({
      findAndModify: 'players',
      query: { _id: 'p1' },
      update: { $inc: { score: 1 } },
      new: true,
      fields: { score: 1 },
    });

    expect(reply).toMatchObject({
      ok: 1,
      value: { _id: 'p1', score: 11 },
      lastErrorObject: { n: 1, updatedExisting: true },
    });
    expect(reply.lastErrorObject.upserted).toBeUndefined();
  });

  it('names the upserted id in lastErrorObject', async () => {
    const reply = await db.command({
      findAndModify: 'players',
      query: { team: 'purple' },
      update: { $set: { score: 7 } },
      upsert: true,
      new: true,
    });

    expect(reply.ok).toBe(1);
    expect(reply.lastErrorObject).toMatchObject({ n: 1, updatedExisting: false });
    expect(reply.lastErrorObject.upserted).toBeInstanceOf(ObjectId);
    expect(reply.value).toEqual({ _id: reply.lastErrorObject.upserted, team: 'purple', score: 7 });
  });

  it('reports n: 0 and value null when nothing matches', async () => {
    const reply = await db.command({
      findAndModify: 'players',
      query: { _id: 'nobody' },
      update: { $set: { score: 1 } },
    });

    expect(reply).toMatchObject({
      ok: 1,
      value: null,
      lastErrorObject: { n: 0, updatedExisting: false },
    });
  });

  it('returns the removed document with remove: true', async () => {
    const reply = await db.command({
      findAndModify: 'players',
      query: { team: 'blue' },
      remove: true,
    });

    expect(reply).toMatchObject({
      ok: 1,
      value: { _id: 'p3', team: 'blue', score: 20, secret: 'z' },
      lastErrorObject: { n: 1 },
    });
    expect(await collection.findOne({ _id: 'p3' })).toBeNull();
  });
});
