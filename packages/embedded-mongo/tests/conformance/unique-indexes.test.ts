import {
  Double,
  Long,
  MongoBulkWriteError,
  type Collection,
  type Db,
  type Document,
  type MongoClient,
  type MongoServerError,
} from 'mongodb';
import { testDatabase } from '../helpers/test-database';
import {
  captureServerError,
  connectClient,
  duplicateKeyMessage,
  type TestDocument,
} from './conformance-helpers';

const { uri, dbName } = testDatabase('unique');
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

let collectionCounter = 0;
/** A fresh collection with one unique index, so each test starts from known contents. */
async function collectionWithIndex(
  keys: Document,
  options: { sparse?: boolean; partialFilterExpression?: Document } = {},
): Promise<Collection<TestDocument>> {
  collectionCounter += 1;
  const collection = db.collection<TestDocument>(`unique_${collectionCounter}`);
  await collection.createIndex(keys, { unique: true, ...options });
  return collection;
}

/**
 * What every duplicate key error carries, on every write path: code 11000, the index's key
 * pattern, the offending key and mongod's message. (codeName is only sent with command-level
 * errors, see findOneAndUpdate below; per-statement writeErrors carry no codeName on mongod.)
 */
function expectDuplicateKey(
  error: MongoServerError,
  collection: Collection<TestDocument>,
  expected: { index: string; keyPattern: Document; keyValue: Document; dupKey: string },
): void {
  expect(error.code).toBe(11000);
  expect(error.keyPattern).toEqual(expected.keyPattern);
  expect(error.keyValue).toEqual(expected.keyValue);
  expect(error.message).toMatch(
    duplicateKeyMessage(`${dbName}.${collection.collectionName}`, expected.index, expected.dupKey),
  );
}

const annKey = {
  index: 'email_1',
  keyPattern: { email: 1 },
  keyValue: { email: 'ann@example.com' },
  dupKey: 'email: "ann@example.com"',
};

describe('a unique index on one field, on every write path', () => {
  let users: Collection<TestDocument>;

  beforeEach(async () => {
    users = await collectionWithIndex({ email: 1 });
    await users.insertMany([
      { _id: 'ann', email: 'ann@example.com' },
      { _id: 'bob', email: 'bob@example.com' },
    ]);
  });

  async function emails(): Promise<string[]> {
    const all = await users.find({}).sort({ _id: 1 }).toArray();
    return all.map((user) => String(user.email));
  }

  it('insertOne of a taken value fails and inserts nothing', async () => {
    const error = await captureServerError(
      users.insertOne({ _id: 'ann2', email: 'ann@example.com' }),
    );

    expectDuplicateKey(error, users, annKey);
    expect(await users.countDocuments()).toBe(2);
  });

  it('a value differing only in case is a different key', async () => {
    await expect(users.insertOne({ email: 'ANN@example.com' })).resolves.toBeDefined();
  });

  it('ordered insertMany stops at the duplicate: earlier documents are in, later ones are not', async () => {
    const error = await captureServerError(
      users.insertMany([
        { _id: 'c1', email: 'c1@example.com' },
        { _id: 'dup', email: 'ann@example.com' },
        { _id: 'c2', email: 'c2@example.com' },
      ]),
    );

    expect(error).toBeInstanceOf(MongoBulkWriteError);
    const bulkError = error as MongoBulkWriteError;
    expect(bulkError.code).toBe(11000);
    expect(bulkError.insertedCount).toBe(1);
    const writeErrors = [bulkError.writeErrors].flat();
    expect(writeErrors.map((writeError) => [writeError.index, writeError.code])).toEqual([
      [1, 11000],
    ]);
    expect(writeErrors[0]?.errmsg).toMatch(
      duplicateKeyMessage(`${dbName}.${users.collectionName}`, 'email_1', annKey.dupKey),
    );
    expect((await users.find({}).sort({ _id: 1 }).toArray()).map((user) => user._id)).toEqual([
      'ann',
      'bob',
      'c1',
    ]);
  });

  it('unordered insertMany inserts every other document and reports each duplicate by index', async () => {
    const error = await captureServerError(
      users.insertMany(
        [
          { _id: 'd0', email: 'ann@example.com' },
          { _id: 'd1', email: 'c1@example.com' },
          { _id: 'd2', email: 'c1@example.com' },
          { _id: 'd3', email: 'c2@example.com' },
        ],
        { ordered: false },
      ),
    );

    expect(error).toBeInstanceOf(MongoBulkWriteError);
    const bulkError = error as MongoBulkWriteError;
    expect(bulkError.insertedCount).toBe(2);
    const writeErrors = [bulkError.writeErrors].flat();
    expect(writeErrors.map((writeError) => [writeError.index, writeError.code])).toEqual([
      [0, 11000],
      [2, 11000],
    ]);
    expect((await users.find({}).sort({ _id: 1 }).toArray()).map((user) => user._id)).toEqual([
      'ann',
      'bob',
      'd1',
      'd3',
    ]);
  });

  it('the raw insert command carries keyPattern, keyValue and errmsg in each writeError', async () => {
    const reply = await db.command({
      insert: users.collectionName,
      documents: [
        { _id: 'e0', email: 'bob@example.com' },
        { _id: 'e1', email: 'e1@example.com' },
        { _id: 'e2', email: 'ann@example.com' },
      ],
      ordered: false,
    });

    expect(reply.ok).toBe(1);
    expect(reply.n).toBe(1);
    const writeErrors = reply.writeErrors as Document[];
    expect(writeErrors).toHaveLength(2);
    expect(writeErrors[0]).toMatchObject({
      index: 0,
      code: 11000,
      keyPattern: { email: 1 },
      keyValue: { email: 'bob@example.com' },
    });
    expect(writeErrors[0]?.errmsg).toMatch(
      duplicateKeyMessage(
        `${dbName}.${users.collectionName}`,
        'email_1',
        'email: "bob@example.com"',
      ),
    );
    expect(writeErrors[1]).toMatchObject({
      index: 2,
      code: 11000,
      keyPattern: { email: 1 },
      keyValue: { email: 'ann@example.com' },
    });
  });

  it('updateOne to a taken value fails and leaves the document as it was', async () => {
    const error = await captureServerError(
      users.updateOne({ _id: 'bob' }, { $set: { email: 'ann@example.com' } }),
    );

    expectDuplicateKey(error, users, annKey);
    expect(await emails()).toEqual(['ann@example.com', 'bob@example.com']);
  });

  it('updateOne that keeps its own value is not a duplicate', async () => {
    await expect(
      users.updateOne({ _id: 'ann' }, { $set: { email: 'ann@example.com', seen: true } }),
    ).resolves.toMatchObject({ matchedCount: 1, modifiedCount: 1 });
  });

  it('updateMany keeps the documents it changed before reaching the duplicate', async () => {
    await users.insertOne({ _id: 'cat', email: 'cat@example.com' });

    const error = await captureServerError(
      users.updateMany({ _id: { $in: ['bob', 'cat'] } }, { $set: { email: 'same@example.com' } }),
    );

    expect(error.code).toBe(11000);
    expect(error.keyValue).toEqual({ email: 'same@example.com' });
    expect(await users.countDocuments({ email: 'same@example.com' })).toBe(1);
    expect(await users.countDocuments()).toBe(3);
  });

  it('an upsert that would insert a taken value fails and inserts nothing', async () => {
    const error = await captureServerError(
      users.updateOne(
        { _id: 'newcomer' },
        { $set: { email: 'ann@example.com' } },
        { upsert: true },
      ),
    );

    expectDuplicateKey(error, users, annKey);
    expect(await users.countDocuments()).toBe(2);
  });

  it('replaceOne with a taken value fails', async () => {
    const error = await captureServerError(
      users.replaceOne({ _id: 'bob' }, { email: 'ann@example.com', name: 'Bob' }),
    );

    expectDuplicateKey(error, users, annKey);
    expect(await users.findOne({ _id: 'bob' })).toEqual({ _id: 'bob', email: 'bob@example.com' });
  });

  it('findOneAndUpdate fails with a command error that also names DuplicateKey', async () => {
    const error = await captureServerError(
      users.findOneAndUpdate({ _id: 'bob' }, { $set: { email: 'ann@example.com' } }),
    );

    expectDuplicateKey(error, users, annKey);
    expect(error.codeName).toBe('DuplicateKey');
    expect(error.errorResponse).toMatchObject({
      ok: 0,
      code: 11000,
      codeName: 'DuplicateKey',
      keyPattern: { email: 1 },
      keyValue: { email: 'ann@example.com' },
    });
    expect(await emails()).toEqual(['ann@example.com', 'bob@example.com']);
  });

  it('findOneAndUpdate with upsert fails the same way', async () => {
    const error = await captureServerError(
      users.findOneAndUpdate(
        { _id: 'newcomer' },
        { $set: { email: 'ann@example.com' } },
        { upsert: true, returnDocument: 'after' },
      ),
    );

    expectDuplicateKey(error, users, annKey);
    expect(error.codeName).toBe('DuplicateKey');
    expect(await users.countDocuments()).toBe(2);
  });

  it('findOneAndReplace fails the same way', async () => {
    const error = await captureServerError(
      users.findOneAndReplace({ _id: 'bob' }, { email: 'ann@example.com' }),
    );

    expectDuplicateKey(error, users, annKey);
    expect(error.codeName).toBe('DuplicateKey');
  });

  it('a value freed by a delete can be taken again', async () => {
    await users.deleteOne({ _id: 'ann' });

    await expect(users.insertOne({ _id: 'ann2', email: 'ann@example.com' })).resolves.toMatchObject(
      {
        insertedId: 'ann2',
      },
    );
  });

  it('a value freed by an update can be taken again', async () => {
    await users.updateOne({ _id: 'ann' }, { $set: { email: 'ann.new@example.com' } });

    await expect(users.insertOne({ _id: 'ann2', email: 'ann@example.com' })).resolves.toBeDefined();
  });
});

describe('what counts as the same key', () => {
  it('documents missing the field share the key null', async () => {
    const collection = await collectionWithIndex({ email: 1 });
    await collection.insertOne({ _id: 1 });

    const error = await captureServerError(collection.insertOne({ _id: 2 }));

    expectDuplicateKey(error, collection, {
      index: 'email_1',
      keyPattern: { email: 1 },
      keyValue: { email: null },
      dupKey: 'email: null',
    });
  });

  it('numbers of different BSON types with the same value are the same key', async () => {
    const collection = await collectionWithIndex({ code: 1 });
    await collection.insertOne({ _id: 'int', code: 7 });

    for (const code of [new Double(7), Long.fromNumber(7)]) {
      const error = await captureServerError(collection.insertOne({ code }));
      expect(error.code).toBe(11000);
    }
    expect(await collection.countDocuments()).toBe(1);
  });

  it('a number key is printed bare in the message', async () => {
    const collection = await collectionWithIndex({ code: 1 });
    await collection.insertOne({ code: 7 });

    const error = await captureServerError(collection.insertOne({ code: 7 }));

    expectDuplicateKey(error, collection, {
      index: 'code_1',
      keyPattern: { code: 1 },
      keyValue: { code: 7 },
      dupKey: 'code: 7',
    });
  });

  it('a dotted key path compares the embedded field', async () => {
    const collection = await collectionWithIndex({ 'profile.handle': 1 });
    await collection.insertOne({ profile: { handle: 'neo', age: 1 } });

    const error = await captureServerError(collection.insertOne({ profile: { handle: 'neo' } }));

    expectDuplicateKey(error, collection, {
      index: 'profile.handle_1',
      keyPattern: { 'profile.handle': 1 },
      keyValue: { 'profile.handle': 'neo' },
      dupKey: 'profile.handle: "neo"',
    });
  });

  it('each element of an array is a key of its own', async () => {
    const collection = await collectionWithIndex({ tags: 1 });
    await collection.insertOne({ _id: 1, tags: ['a', 'b'] });

    const error = await captureServerError(collection.insertOne({ _id: 2, tags: ['c', 'b'] }));

    expect(error.code).toBe(11000);
    expect(error.keyValue).toEqual({ tags: 'b' });
    await expect(collection.insertOne({ _id: 3, tags: ['c', 'd'] })).resolves.toBeDefined();
  });
});

describe('a compound unique index', () => {
  it('allows a repeated field when the combination differs, refuses a repeated combination', async () => {
    const members = await collectionWithIndex({ tenant: 1, email: 1 });
    await members.insertMany([
      { tenant: 'a', email: 'x@example.com' },
      { tenant: 'b', email: 'x@example.com' },
      { tenant: 'a', email: 'y@example.com' },
    ]);

    const error = await captureServerError(
      members.insertOne({ tenant: 'a', email: 'x@example.com' }),
    );

    expectDuplicateKey(error, members, {
      index: 'tenant_1_email_1',
      keyPattern: { tenant: 1, email: 1 },
      keyValue: { tenant: 'a', email: 'x@example.com' },
      dupKey: 'tenant: "a", email: "x@example.com"',
    });
    expect(await members.countDocuments()).toBe(3);
  });

  it('is enforced when an update completes a taken combination', async () => {
    const members = await collectionWithIndex({ tenant: 1, email: 1 });
    await members.insertMany([
      { _id: 1, tenant: 'a', email: 'x@example.com' },
      { _id: 2, tenant: 'b', email: 'x@example.com' },
    ]);

    const error = await captureServerError(
      members.updateOne({ _id: 2 }, { $set: { tenant: 'a' } }),
    );

    expect(error.code).toBe(11000);
    expect(error.keyValue).toEqual({ tenant: 'a', email: 'x@example.com' });
  });
});

describe('a sparse unique index', () => {
  it('allows any number of documents without the field', async () => {
    const profiles = await collectionWithIndex({ nickname: 1 }, { sparse: true });

    await profiles.insertMany([{ _id: 1 }, { _id: 2 }, { _id: 3 }]);

    expect(await profiles.countDocuments()).toBe(3);
  });

  it('refuses a repeated value', async () => {
    const profiles = await collectionWithIndex({ nickname: 1 }, { sparse: true });
    await profiles.insertOne({ nickname: 'neo' });

    const error = await captureServerError(profiles.insertOne({ nickname: 'neo' }));

    expectDuplicateKey(error, profiles, {
      index: 'nickname_1',
      keyPattern: { nickname: 1 },
      keyValue: { nickname: 'neo' },
      dupKey: 'nickname: "neo"',
    });
  });

  it('indexes an explicit null, so two nulls collide', async () => {
    const profiles = await collectionWithIndex({ nickname: 1 }, { sparse: true });
    await profiles.insertOne({ nickname: null });

    const error = await captureServerError(profiles.insertOne({ nickname: null }));

    expect(error.code).toBe(11000);
    expect(error.keyValue).toEqual({ nickname: null });
  });

  it('is enforced when an update adds the field', async () => {
    const profiles = await collectionWithIndex({ nickname: 1 }, { sparse: true });
    await profiles.insertMany([{ _id: 1, nickname: 'neo' }, { _id: 2 }]);

    const error = await captureServerError(
      profiles.updateOne({ _id: 2 }, { $set: { nickname: 'neo' } }),
    );

    expect(error.code).toBe(11000);
    expect(await profiles.findOne({ _id: 2 })).toEqual({ _id: 2 });
  });
});

describe('a partial unique index', () => {
  const partial = { partialFilterExpression: { active: true } };

  it('ignores documents outside the filter', async () => {
    const accounts = await collectionWithIndex({ handle: 1 }, partial);

    await accounts.insertMany([
      { handle: 'neo', active: false },
      { handle: 'neo', active: false },
      { handle: 'neo', active: true },
      { handle: 'neo' },
    ]);

    expect(await accounts.countDocuments({ handle: 'neo' })).toBe(4);
  });

  it('refuses a second matching document with the same value', async () => {
    const accounts = await collectionWithIndex({ handle: 1 }, partial);
    await accounts.insertOne({ handle: 'neo', active: true });

    const error = await captureServerError(accounts.insertOne({ handle: 'neo', active: true }));

    expectDuplicateKey(error, accounts, {
      index: 'handle_1',
      keyPattern: { handle: 1 },
      keyValue: { handle: 'neo' },
      dupKey: 'handle: "neo"',
    });
  });

  it('is enforced when an update moves a document into the filter', async () => {
    const accounts = await collectionWithIndex({ handle: 1 }, partial);
    await accounts.insertMany([
      { _id: 1, handle: 'neo', active: true },
      { _id: 2, handle: 'neo', active: false },
    ]);

    const error = await captureServerError(
      accounts.updateOne({ _id: 2 }, { $set: { active: true } }),
    );

    expect(error.code).toBe(11000);
    expect(await accounts.findOne({ _id: 2 })).toEqual({ _id: 2, handle: 'neo', active: false });
  });

  it('frees the value when a document leaves the filter', async () => {
    const accounts = await collectionWithIndex({ handle: 1 }, partial);
    await accounts.insertOne({ _id: 1, handle: 'neo', active: true });

    await accounts.updateOne({ _id: 1 }, { $set: { active: false } });

    await expect(
      accounts.insertOne({ _id: 2, handle: 'neo', active: true }),
    ).resolves.toBeDefined();
  });
});
