import {
  Long,
  MongoServerError,
  type Collection,
  type Db,
  type Document,
  type MongoClient,
} from 'mongodb';
import { testDatabase } from '../helpers/test-database';
import { captureServerError, connectClient, type TestDocument } from './conformance-helpers';

const { uri, dbName } = testDatabase('errors');
let client: MongoClient;
let db: Db;
let collection: Collection<TestDocument>;

beforeAll(async () => {
  client = await connectClient(uri);
  db = client.db(dbName);
  collection = db.collection<TestDocument>('things');
  await collection.insertMany([
    { _id: 1, name: 'one', n: 1 },
    { _id: 2, name: 'two', n: 2 },
  ]);
  await db.collection<TestDocument>('nulls').insertOne({ _id: 'n', v: null });
});

afterAll(async () => {
  await db.dropDatabase();
  await client.close();
});

// Whatever a test provoked, the server must still answer, and the data must be intact.
afterEach(async () => {
  await expect(db.command({ ping: 1 })).resolves.toMatchObject({ ok: 1 });
  await expect(collection.find({}).sort({ _id: 1 }).toArray()).resolves.toEqual([
    { _id: 1, name: 'one', n: 1 },
    { _id: 2, name: 'two', n: 2 },
  ]);
});

/** Updates the driver's types would reject (they cannot know a field's stored type). */
function asUpdate(update: Document): Document {
  return update;
}

interface Refusal {
  code: number;
  /** Only command-level errors carry a codeName; per-statement write errors do not. */
  codeName?: string;
  message: RegExp;
}

const refusals: [string, () => Promise<unknown>, Refusal][] = [
  [
    'an unknown command',
    () => db.command({ frobnicate: 1 }),
    { code: 59, codeName: 'CommandNotFound', message: /no such command: 'frobnicate'/ },
  ],
  [
    'an unknown query operator',
    () => collection.find({ n: { $frobnicate: 1 } }).toArray(),
    { code: 2, codeName: 'BadValue', message: /unknown operator: \$frobnicate/ },
  ],
  [
    'an unknown top-level query operator',
    () => collection.find({ $frobnicate: [{ n: 1 }] }).toArray(),
    { code: 2, codeName: 'BadValue', message: /unknown top level operator: \$frobnicate/ },
  ],
  [
    'an unknown query operator in a delete',
    () => collection.deleteMany({ n: { $frobnicate: 1 } }),
    { code: 2, message: /unknown operator: \$frobnicate/ },
  ],
  [
    'an unknown update operator',
    () => collection.updateOne({ _id: 1 }, { $frobnicate: { n: 1 } }),
    { code: 9, message: /Unknown modifier: \$frobnicate/ },
  ],
  [
    'an unknown update operator in findAndModify',
    () => collection.findOneAndUpdate({ _id: 1 }, { $frobnicate: { n: 1 } }),
    { code: 9, codeName: 'FailedToParse', message: /Unknown modifier: \$frobnicate/ },
  ],
  [
    '$inc on a string',
    () => collection.updateOne({ _id: 1 }, asUpdate({ $inc: { name: 1 } })),
    { code: 14, message: /Cannot apply \$inc to a value of non-numeric type/ },
  ],
  [
    'two operators on the same path',
    () => collection.updateOne({ _id: 1 }, asUpdate({ $set: { n: 5 }, $inc: { n: 1 } })),
    { code: 40, message: /would create a conflict at 'n'/ },
  ],
  [
    'an unknown aggregation stage',
    () => collection.aggregate([{ $frobnicate: {} }]).toArray(),
    { code: 40324, message: /Unrecognized pipeline stage name: '\$frobnicate'/ },
  ],
  [
    'an unknown aggregation expression',
    () => collection.aggregate([{ $project: { x: { $frobnicate: 1 } } }]).toArray(),
    {
      code: 168,
      codeName: 'InvalidPipelineOperator',
      message: /Unrecognized expression '\$frobnicate'/,
    },
  ],
  [
    '$inc on a null',
    () =>
      db.collection<TestDocument>('nulls').updateOne({ _id: 'n' }, asUpdate({ $inc: { v: 1 } })),
    { code: 14, message: /Cannot apply \$inc to a value of non-numeric type/ },
  ],
  [
    'an array as _id',
    () => db.collection<{ _id: number[] }>('array_ids').insertOne({ _id: [1, 2] }),
    // mongod says "can't use an array for _id"; only the gist is asserted.
    { code: 2, message: /array.*_id|_id.*array/ },
  ],
  [
    'a projection mixing inclusion and exclusion',
    () => collection.find({}, { projection: { name: 1, n: 0 } }).toArray(),
    { code: 31254, message: /Cannot do exclusion on field n in inclusion projection/ },
  ],
  [
    'a getMore on a cursor that never existed',
    () => db.command({ getMore: Long.fromString('987654321987'), collection: 'things' }),
    { code: 43, codeName: 'CursorNotFound', message: /cursor id 987654321987 not found/ },
  ],
];

describe('refusals keep the server serving', () => {
  it.each(refusals)(
    '%s is refused with the code mongod uses',
    async (_label, operation, expected) => {
      const error = await captureServerError(operation());

      expect(error.code).toBe(expected.code);
      if (expected.codeName) expect(error.codeName).toBe(expected.codeName);
      expect(error.message).toMatch(expected.message);
    },
  );

  it('a command error reply has ok: 0, errmsg, code and codeName', async () => {
    const error = await captureServerError(db.command({ frobnicate: 1 }));

    expect(error.errorResponse).toMatchObject({
      ok: 0,
      code: 59,
      codeName: 'CommandNotFound',
      errmsg: expect.stringContaining('frobnicate'),
    });
  });

  it('one bad statement in an unordered batch does not stop the others', async () => {
    const scratch = db.collection<TestDocument>('scratch');
    await scratch.insertMany([
      { _id: 'a', n: 1 },
      { _id: 'b', n: 'text' },
      { _id: 'c', n: 1 },
    ]);

    const reply: Document = await db.command({
      update: 'scratch',
      updates: [
        { q: { _id: 'a' }, u: { $inc: { n: 1 } } },
        { q: { _id: 'b' }, u: { $inc: { n: 1 } } },
        { q: { _id: 'c' }, u: { $inc: { n: 1 } } },
      ],
      ordered: false,
    });

    expect(reply).toMatchObject({ ok: 1, n: 2, nModified: 2 });
    expect(reply.writeErrors).toEqual([expect.objectContaining({ index: 1, code: 14 })]);
    expect(await scratch.find({}).sort({ _id: 1 }).toArray()).toEqual([
      { _id: 'a', n: 2 },
      { _id: 'b', n: 'text' },
      { _id: 'c', n: 2 },
    ]);
    await scratch.drop();
  });
});

/**
 * The server's own refusal. For a write, the driver turns mongod's code-20 reply into advice to
 * set retryWrites=false (it cannot tell it apart from MMAPv1's) and keeps mongod's error as
 * `originalError`; reads pass it through unchanged.
 */
function serverCause(error: MongoServerError): MongoServerError {
  const original: unknown = error.originalError;
  return original instanceof MongoServerError ? original : error;
}

describe('transactions on a standalone', () => {
  const transactionRefusal =
    /Transaction numbers are only allowed on a replica set member or mongos/;

  function expectTransactionRefusal(error: MongoServerError): void {
    const cause = serverCause(error);
    expect(cause.code).toBe(20);
    expect(cause.codeName).toBe('IllegalOperation');
    expect(cause.message).toMatch(transactionRefusal);
  }

  it('withTransaction fails with IllegalOperation (20) and leaves no write behind', async () => {
    const session = client.startSession();
    try {
      const error = await captureServerError(
        session.withTransaction(async () => {
          await collection.insertOne({ _id: 'in-transaction', name: 'ghost' }, { session });
        }),
      );

      expectTransactionRefusal(error);
      expect(error.message).toMatch(/does not support retryable writes/);
    } finally {
      await session.endSession();
    }
    expect(await collection.findOne({ _id: 'in-transaction' })).toBeNull();
  });

  it('startTransaction then insert fails the same way, and so does a read in it', async () => {
    const session = client.startSession();
    try {
      session.startTransaction();
      expectTransactionRefusal(
        await captureServerError(collection.insertOne({ _id: 'manual-transaction' }, { session })),
      );
      await session.abortTransaction().catch(() => undefined);

      session.startTransaction();
      const readError = await captureServerError(collection.findOne({ _id: 1 }, { session }));
      expect(readError.code).toBe(20);
      expectTransactionRefusal(readError);
      await session.abortTransaction().catch(() => undefined);
    } finally {
      await session.endSession();
    }
    expect(await collection.findOne({ _id: 'manual-transaction' })).toBeNull();
  });

  it('the same session works outside a transaction afterwards', async () => {
    const session = client.startSession();
    try {
      session.startTransaction();
      await captureServerError(collection.findOne({ _id: 1 }, { session }));
      await session.abortTransaction().catch(() => undefined);

      await expect(collection.findOne({ _id: 2 }, { session })).resolves.toMatchObject({
        name: 'two',
      });
    } finally {
      await session.endSession();
    }
  });
});
