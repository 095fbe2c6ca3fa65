import { MongoClient, type Collection, type Document } from 'mongodb';
import { serverError } from '../helpers/server-error';
import { startWireServer, type WireServer } from '../../src';

// The caps that keep one command from taking the process down: mongod's own 100 MB value
// limits and 16 MB document limits, with mongod's codes, and this server's time limit and heap
// allowance per command. Each is met through the real driver, and the server answers the next
// command as usual.

const megabyte = 1024 * 1024;

let server: WireServer;
let client: MongoClient;
let collection: Collection<Document>;

// Generous, so that only the tests of the time limit (which start a server of their own) meet
// it, however busy the machine.
const untimed = { commandTimeLimitMs: 60_000 };

beforeAll(async () => {
  server = await startWireServer(untimed);
  client = await MongoClient.connect(server.uri);
  collection = client.db('limits').collection('documents');
  await collection.insertMany([
    { _id: 1 as never, s: `${'a'.repeat(30)}!`, pattern: '^(a|a)*$' },
    { _id: 2 as never, s: 'plain', pattern: '^p' },
  ]);
});
afterAll(async () => {
  await client.close();
  await server.stop();
});

async function stillServing(): Promise<void> {
  await expect(collection.countDocuments()).resolves.toBe(2);
}

function aggregate(pipeline: Document[]): Promise<Document[]> {
  return collection.aggregate(pipeline).toArray();
}

describe("mongod's 100 MB limit on one value (ExceededMemoryLimit, 146)", () => {
  it('refuses $range of 2e8 inside $size before building it, in mongod words', async () => {
    const error = await serverError(
      aggregate([{ $project: { n: { $size: { $range: [0, 2e8] } } } }]),
    );
    expect(error.code).toBe(146);
    expect(error.codeName).toBe('ExceededMemoryLimit');
    expect(error.message).toBe(
      '$range would use too much memory (3200000040 bytes) and cannot spill to disk. Memory limit: 104857600 bytes',
    );
    await stillServing();
  });

  it('still builds a $range under the limit', async () => {
    await expect(
      aggregate([{ $match: { _id: 1 } }, { $project: { n: { $size: { $range: [0, 1e6] } } } }]),
    ).resolves.toEqual([{ _id: 1, n: 1e6 }]);
  });

  it.each([
    ['$concatArrays', { $concatArrays: Array.from({ length: 200 }, () => '$million') }],
    [
      '$concat',
      {
        $reduce: {
          input: { $range: [0, 40] },
          initialValue: 'ab',
          in: { $concat: ['$$value', '$$value'] },
        },
      },
    ],
    [
      '$replaceAll',
      {
        $replaceAll: {
          input: { $literal: 'a'.repeat(100_000) },
          find: 'a',
          replacement: { $literal: 'b'.repeat(2_000) },
        },
      },
    ],
    ['$split', { $split: [{ $literal: ','.repeat(8 * megabyte) }, ','] }],
    ['$zip', { $zip: { inputs: Array.from({ length: 1_000 }, () => '$million') } }],
  ])('refuses a %s result over the limit before building it', async (operator, expression) => {
    // $million is one array of a million numbers; the expressions refer to it many times over.
    const error = await serverError(
      aggregate([
        { $match: { _id: 1 } },
        { $addFields: { million: { $range: [0, 1e6] } } },
        { $project: { n: { $size: expression } } },
      ]),
    );
    expect(error.code).toBe(146);
    expect(error.message).toMatch(
      new RegExp(`^\\${operator} would use too much memory \\(\\d+ bytes\\)`),
    );
    await stillServing();
  });

  it.each([
    ['$range', { $range: [0, 5, 2] }, [0, 2, 4]],
    ['$range going down', { $range: [5, 0, -2] }, [5, 3, 1]],
    ['$concat', { $concat: ['a', '$s'] }, `a${'a'.repeat(30)}!`],
    ['$concatArrays', { $concatArrays: [[1], [2, 3]] }, [1, 2, 3]],
    ['$replaceAll', { $replaceAll: { input: 'aba', find: 'a', replacement: 'x' } }, 'xbx'],
    ['$split', { $split: ['a,b', ','] }, ['a', 'b']],
    ['$zip of nothing', { $zip: { inputs: [] } }, []],
    [
      '$zip',
      { $zip: { inputs: [[1, 2], ['a']], useLongestLength: true } },
      [
        [1, 'a'],
        [2, null],
      ],
    ],
    ['$map', { $map: { input: [1, 2], as: 'n', in: { $add: ['$$n', '$_id'] } } }, [2, 3]],
    ['$filter', { $filter: { input: [1, 2, 3], cond: { $gt: ['$$this', 1] } } }, [2, 3]],
    ['$filter with a limit', { $filter: { input: [1, 2, 3], cond: true, limit: 2 } }, [1, 2]],
    [
      '$reduce over 3,000 elements',
      {
        $reduce: {
          input: { $range: [0, 3_000] },
          initialValue: 0,
          in: { $add: ['$$value', '$$this'] },
        },
      },
      4_498_500,
    ],
    [
      '$regexFindAll',
      { $regexFindAll: { input: 'a1b2', regex: /(\d)/ } },
      [
        { match: '1', idx: 1, captures: ['1'] },
        { match: '2', idx: 3, captures: ['2'] },
      ],
    ],
  ])('still computes an ordinary %s', async (_label, expression, expected) => {
    await expect(
      aggregate([{ $match: { _id: 1 } }, { $project: { _id: 0, value: expression } }]),
    ).resolves.toEqual([{ value: expected }]);
  });

  it('leaves a $range of non-integers to its own type error', async () => {
    const error = await serverError(aggregate([{ $project: { n: { $range: [0, 1.5] } } }]));
    expect(error.code).not.toBe(146);
  });

  it('stops $push collecting past the limit, in mongod words', async () => {
    // Eleven references to one 10 MB string: little memory, but 110 MB of values to mongod.
    const big = 'x'.repeat(10 * megabyte);
    const many = client.db('limits').collection('many');
    await many.insertMany(Array.from({ length: 11 }, (_, index) => ({ index })));
    const error = await serverError(
      many.aggregate([{ $group: { _id: null, all: { $push: { $literal: big } } } }]).toArray(),
    );
    expect(error.code).toBe(146);
    expect(error.message).toBe(
      '$push used too much memory and cannot spill to disk. Memory limit: 104857600 bytes',
    );
    await expect(
      many.aggregate([{ $group: { _id: null, all: { $push: '$index' } } }]).toArray(),
    ).resolves.toEqual([{ _id: null, all: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10] }]);
  });
});

describe("mongod's 16 MB document limits", () => {
  it('refuses an aggregation result over 16 MB with BSONObjectTooLarge (10334)', async () => {
    const half = 'x'.repeat(9 * megabyte);
    const error = await serverError(
      aggregate([
        { $match: { _id: 1 } },
        { $addFields: { first: { $literal: half } } },
        { $addFields: { second: '$first' } },
      ]),
    );
    expect(error.code).toBe(10334);
    expect(error.message).toMatch(
      /^BSONObj size: \d+ \(0x[0-9A-F]+\) is invalid\. Size must be between 0 and 16793600\(16MB\)$/,
    );
    await stillServing();
  });

  it('counts a document that repeats one array 50,000 times only up to the limit', async () => {
    const error = await serverError(
      aggregate([
        { $match: { _id: 1 } },
        { $addFields: { row: { $range: [0, 100] } } },
        { $project: { rows: { $map: { input: { $range: [0, 50_000] }, in: '$row' } } } },
      ]),
    );
    expect(error.code).toBe(10334);
  });

  it('refuses an update whose result is over 16 MB (17419) and leaves the document', async () => {
    const large = client.db('limits').collection('large');
    await large.insertOne({ _id: 'big' as never, first: 'x'.repeat(9 * megabyte) });
    const error = await serverError(
      large.updateOne({ _id: 'big' as never }, [{ $set: { second: '$first' } }]),
    );
    expect(error.code).toBe(17419);
    expect(error.message).toBe('Resulting document after update is larger than 16777216');
    const stored = await large.findOne({ _id: 'big' as never });
    expect(Object.keys(stored ?? {})).toEqual(['_id', 'first']);
  });

  it('refuses distinct values over 16 MB (17217)', async () => {
    const wide = client.db('limits').collection('wide');
    await wide.insertMany(
      Array.from({ length: 3 }, (_, index) => ({ v: `${index}${'y'.repeat(6 * megabyte)}` })),
    );
    const error = await serverError(wide.distinct('v'));
    expect(error.code).toBe(17217);
    expect(error.message).toBe('distinct too big, 16mb cap');
  });
});

describe('the time limit of a command (MaxTimeMSExpired, 50)', () => {
  let timed: WireServer;
  let timedClient: MongoClient;
  let documents: Collection<Document>;
  beforeAll(async () => {
    timed = await startWireServer({ commandTimeLimitMs: 300 });
    timedClient = await MongoClient.connect(timed.uri);
    documents = timedClient.db('limits').collection('documents');
    await documents.insertMany(await collection.find().toArray());
  });
  afterAll(async () => {
    await timedClient.close();
    await timed.stop();
  });

  it('stops a catastrophically backtracking $regex in a filter, then serves the next command', async () => {
    const error = await serverError(documents.find({ s: { $regex: '^(a|a)*$' } }).toArray());
    expect(error.code).toBe(50);
    expect(error.message).toBe(
      'operation exceeded time limit: the keycard wire server stops evaluating a command after 300 ms',
    );
    await expect(documents.countDocuments()).resolves.toBe(2);
  });

  it('stops a pattern read from the documents by $regexMatch', async () => {
    const error = await serverError(
      documents
        .aggregate([{ $project: { hit: { $regexMatch: { input: '$s', regex: '$pattern' } } } }])
        .toArray(),
    );
    expect(error.code).toBe(50);
    await expect(documents.countDocuments()).resolves.toBe(2);
  });

  it('stops an updateMany whose filter backtracks, having written nothing', async () => {
    const error = await serverError(
      documents.updateMany({ s: { $regex: '^(a|a)*$' } }, { $set: { touched: true } }),
    );
    expect(error.code).toBe(50);
    await expect(documents.countDocuments({ touched: true })).resolves.toBe(0);
  });

  it('stops a pipeline that loops for too long without any regular expression', async () => {
    const error = await serverError(
      documents
        .aggregate([
          {
            $project: {
              n: {
                $reduce: {
                  input: { $range: [0, 1e6] },
                  initialValue: 0,
                  in: { $add: ['$$value', { $size: { $range: [0, 1_000] } }] },
                },
              },
            },
          },
        ])
        .toArray(),
    );
    expect(error.code).toBe(50);
    await expect(documents.countDocuments()).resolves.toBe(2);
  });

  it('still runs ordinary regular expressions', async () => {
    await expect(documents.find({ s: { $regex: '^pl' } }).toArray()).resolves.toHaveLength(1);
    await expect(
      documents
        .aggregate([
          { $match: { _id: 2 } },
          { $project: { _id: 0, all: { $regexFindAll: { input: 'a1b22', regex: '[0-9]*' } } } },
        ])
        .toArray(),
    ).resolves.toEqual([
      {
        all: [
          { match: '', idx: 0, captures: [] },
          { match: '1', idx: 1, captures: [] },
          { match: '', idx: 2, captures: [] },
          { match: '22', idx: 3, captures: [] },
          { match: '', idx: 5, captures: [] },
        ],
      },
    ]);
  });
});

describe('the heap allowance of a command', () => {
  it('stops a command that grows the heap past it (146), and the server carries on', async () => {
    const small = await startWireServer({ ...untimed, commandHeapLimitBytes: 32 * megabyte });
    const smallClient = await MongoClient.connect(small.uri);
    try {
      const target = smallClient.db('heap').collection('documents');
      await target.insertOne({ a: 1 });
      // Two million small objects built by a literal, which no per-value limit sees.
      const error = await serverError(
        target
          .aggregate([
            {
              $project: {
                objects: { $map: { input: { $range: [0, 2e6] }, in: { a: '$$this', b: 1 } } },
              },
            },
          ])
          .toArray(),
      );
      expect(error.code).toBe(146);
      expect(error.message).toMatch(
        /^command used too much memory \(the heap grew by \d+ bytes; limit 33554432 bytes\)/,
      );
      await expect(target.countDocuments()).resolves.toBe(1);
    } finally {
      await smallClient.close();
      await small.stop();
    }
  });
});
