import mongoose, { Schema, type Connection, type Model, type Types } from 'mongoose';
import { MongoServerError } from 'mongodb';
import { testDatabase } from '../helpers/test-database';
import { captureServerError } from './conformance-helpers';

const { uri, dbName } = testDatabase('mongoose');

interface User {
  email: string;
  name: string;
  loginCount: number;
  roles: string[];
  passwordHash?: string;
  createdAt: Date;
  updatedAt: Date;
}

interface Session {
  user: Types.ObjectId;
  expiresAt: Date;
}

const userSchema = new Schema<User>(
  {
    email: { type: String, required: true, unique: true, lowercase: true, trim: true },
    name: { type: String, required: true },
    loginCount: { type: Number, default: 0 },
    roles: { type: [String], default: ['user'] },
    passwordHash: { type: String, select: false },
  },
  { timestamps: true },
);

const sessionSchema = new Schema<Session>({
  user: { type: Schema.Types.ObjectId, ref: 'User', required: true },
  expiresAt: { type: Date, required: true },
});
sessionSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });

let connection: Connection;
let UserModel: Model<User>;
let SessionModel: Model<Session>;

beforeAll(async () => {
  connection = await mongoose
    .createConnection(uri, { dbName, serverSelectionTimeoutMS: 5_000 })
    .asPromise();
  UserModel = connection.model<User>('User', userSchema);
  SessionModel = connection.model<Session>('Session', sessionSchema);
  await Promise.all([UserModel.init(), SessionModel.init()]);
});

afterAll(async () => {
  await connection.dropDatabase();
  await connection.close();
});

beforeEach(async () => {
  await Promise.all([UserModel.deleteMany({}), SessionModel.deleteMany({})]);
});

describe('indexes', () => {
  it('Model.init() builds the unique and TTL indexes the schemas declare', async () => {
    const userIndexes = await UserModel.collection.indexes();
    expect(userIndexes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'email_1', key: { email: 1 }, unique: true }),
      ]),
    );
    const sessionIndexes = await SessionModel.collection.indexes();
    expect(sessionIndexes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ key: { expiresAt: 1 }, expireAfterSeconds: 0 }),
      ]),
    );
  });

  it('diffIndexes finds the indexes on the server exactly as the schema declares them', async () => {
    await expect(UserModel.diffIndexes()).resolves.toEqual({ toDrop: [], toCreate: [] });
    await expect(SessionModel.diffIndexes()).resolves.toEqual({ toDrop: [], toCreate: [] });
  });
});

describe('documents', () => {
  it('create stores the document with defaults, setters and timestamps applied', async () => {
    const created = await UserModel.create({ email: '  Ann@Example.COM ', name: 'Ann' });

    const stored = await connection.collection('users').findOne({ _id: created._id });
    expect(stored).toMatchObject({
      email: 'ann@example.com',
      name: 'Ann',
      loginCount: 0,
      roles: ['user'],
      __v: 0,
    });
    expect(stored?.createdAt).toBeInstanceOf(Date);
    expect(stored?.updatedAt).toBeInstanceOf(Date);
  });

  it('findOne and findById return hydrated documents', async () => {
    const created = await UserModel.create({ email: 'bob@example.com', name: 'Bob' });

    const byEmail = await UserModel.findOne({ email: 'bob@example.com' });
    const byId = await UserModel.findById(created._id);
    const byIdString = await UserModel.findById(created._id.toHexString());

    expect(byEmail?._id.equals(created._id)).toBe(true);
    expect(byId?.name).toBe('Bob');
    expect(byIdString?.email).toBe('bob@example.com');
    await expect(UserModel.findById(new mongoose.Types.ObjectId())).resolves.toBeNull();
  });

  it('save on a loaded document writes only its changes', async () => {
    await UserModel.create({ email: 'cid@example.com', name: 'Cid' });
    const loaded = await UserModel.findOne({ email: 'cid@example.com' }).orFail();

    loaded.loginCount += 1;
    loaded.roles.push('admin');
    await loaded.save();

    const stored = await UserModel.findById(loaded._id).lean().orFail();
    expect(stored.loginCount).toBe(1);
    expect(stored.roles).toEqual(['user', 'admin']);
    expect(stored.updatedAt.getTime()).toBeGreaterThanOrEqual(stored.createdAt.getTime());
  });

  it('updateOne reports matched and modified counts', async () => {
    await UserModel.create({ email: 'dee@example.com', name: 'Dee' });

    const result = await UserModel.updateOne(
      { email: 'dee@example.com' },
      { $inc: { loginCount: 2 } },
    );

    expect(result).toMatchObject({ acknowledged: true, matchedCount: 1, modifiedCount: 1 });
    expect((await UserModel.findOne({ email: 'dee@example.com' }).lean())?.loginCount).toBe(2);
  });

  it("findOneAndUpdate with returnDocument: 'after' returns the updated document", async () => {
    await UserModel.create({ email: 'eve@example.com', name: 'Eve' });

    const updated = await UserModel.findOneAndUpdate(
      { email: 'eve@example.com' },
      { $set: { name: 'Eve Updated' }, $inc: { loginCount: 1 } },
      { returnDocument: 'after' },
    );

    expect(updated).toMatchObject({ name: 'Eve Updated', loginCount: 1 });
  });

  it('findOneAndUpdate with upsert creates the document with defaults on insert', async () => {
    const upserted = await UserModel.findOneAndUpdate(
      { email: 'new@example.com' },
      { $set: { name: 'New' } },
      { upsert: true, returnDocument: 'after', setDefaultsOnInsert: true },
    );

    expect(upserted).toMatchObject({ email: 'new@example.com', name: 'New', loginCount: 0 });
    expect(await UserModel.countDocuments()).toBe(1);
  });

  it('deleteOne removes one document', async () => {
    await UserModel.create([
      { email: 'f1@example.com', name: 'F' },
      { email: 'f2@example.com', name: 'F' },
    ]);

    await expect(UserModel.deleteOne({ name: 'F' })).resolves.toMatchObject({ deletedCount: 1 });
    expect(await UserModel.countDocuments({ name: 'F' })).toBe(1);
  });

  it('countDocuments counts with and without a filter', async () => {
    await UserModel.create([
      { email: 'g1@example.com', name: 'G', loginCount: 5 },
      { email: 'g2@example.com', name: 'G', loginCount: 1 },
      { email: 'h1@example.com', name: 'H' },
    ]);

    expect(await UserModel.countDocuments()).toBe(3);
    expect(await UserModel.countDocuments({ loginCount: { $gt: 0 } })).toBe(2);
    expect(await UserModel.estimatedDocumentCount()).toBe(3);
  });

  it('find().sort().skip().limit() pages through the results', async () => {
    await UserModel.create(
      Array.from({ length: 12 }, (_, index) => ({
        email: `p${String(index).padStart(2, '0')}@example.com`,
        name: 'Page',
        loginCount: index,
      })),
    );

    const page = await UserModel.find({ name: 'Page' })
      .sort({ loginCount: -1 })
      .skip(5)
      .limit(3)
      .select('loginCount -_id')
      .lean();

    expect(page).toEqual([{ loginCount: 6 }, { loginCount: 5 }, { loginCount: 4 }]);
  });

  it('a query cursor streams every document through several batches', async () => {
    await UserModel.insertMany(
      Array.from({ length: 35 }, (_, index) => ({
        email: `c${String(index).padStart(2, '0')}@example.com`,
        name: 'Cursor',
        loginCount: index,
      })),
    );

    const counts: number[] = [];
    for await (const user of UserModel.find({ name: 'Cursor' })
      .sort({ loginCount: 1 })
      .cursor({ batchSize: 10 })) {
      counts.push(user.loginCount);
    }

    expect(counts).toEqual(Array.from({ length: 35 }, (_, index) => index));
  });

  it('populate resolves a reference', async () => {
    const user = await UserModel.create({ email: 'ref@example.com', name: 'Ref' });
    await SessionModel.create({ user: user._id, expiresAt: new Date(Date.now() + 60_000) });

    const session = await SessionModel.findOne({ user: user._id })
      .populate<{ user: User }>('user')
      .orFail();

    expect(session.user.email).toBe('ref@example.com');
  });
});

describe('queries Mongoose builds for an auth service', () => {
  it('a select: false field is left out unless asked for with +field', async () => {
    const created = await UserModel.create({
      email: 'secret@example.com',
      name: 'S',
      passwordHash: 'hash',
    });

    const plain = await UserModel.findById(created._id).lean().orFail();
    const withSecret = await UserModel.findById(created._id)
      .select('+passwordHash')
      .lean()
      .orFail();

    expect(plain).not.toHaveProperty('passwordHash');
    expect(plain.email).toBe('secret@example.com');
    expect(withSecret.passwordHash).toBe('hash');
  });

  it('exists() answers with the _id or null', async () => {
    const created = await UserModel.create({ email: 'here@example.com', name: 'Here' });

    await expect(UserModel.exists({ email: 'here@example.com' })).resolves.toEqual({
      _id: created._id,
    });
    await expect(UserModel.exists({ email: 'gone@example.com' })).resolves.toBeNull();
  });

  it('findByIdAndUpdate and findOneAndDelete go through findAndModify', async () => {
    const created = await UserModel.create({ email: 'fam@example.com', name: 'Fam' });

    const updated = await UserModel.findByIdAndUpdate(
      created._id,
      { $push: { roles: 'admin' } },
      { returnDocument: 'after' },
    ).orFail();
    expect(updated.roles).toEqual(['user', 'admin']);

    const deleted = await UserModel.findOneAndDelete({ email: 'fam@example.com' }).orFail();
    expect(deleted._id.equals(created._id)).toBe(true);
    expect(await UserModel.countDocuments()).toBe(0);
  });

  it('updateOne with upsert sets createdAt only on insert and updatedAt every time', async () => {
    await UserModel.updateOne(
      { email: 'stamp@example.com' },
      { $set: { name: 'Stamp' } },
      { upsert: true },
    );
    const first = await UserModel.findOne({ email: 'stamp@example.com' }).lean().orFail();
    expect(first.createdAt).toBeInstanceOf(Date);

    await new Promise((resolve) => setTimeout(resolve, 5));
    await UserModel.updateOne({ email: 'stamp@example.com' }, { $set: { name: 'Stamp 2' } });
    const second = await UserModel.findOne({ email: 'stamp@example.com' }).lean().orFail();

    expect(second.createdAt.getTime()).toBe(first.createdAt.getTime());
    expect(second.updatedAt.getTime()).toBeGreaterThan(first.updatedAt.getTime());
  });

  it('insertMany stores every document', async () => {
    const inserted = await UserModel.insertMany([
      { email: 'm1@example.com', name: 'M' },
      { email: 'm2@example.com', name: 'M' },
    ]);

    expect(inserted).toHaveLength(2);
    expect(await UserModel.countDocuments({ name: 'M' })).toBe(2);
  });

  it('updateMany and Document.deleteOne()', async () => {
    await UserModel.create([
      { email: 'u1@example.com', name: 'U' },
      { email: 'u2@example.com', name: 'U' },
    ]);

    const result = await UserModel.updateMany({ name: 'U' }, { $inc: { loginCount: 1 } });
    expect(result).toMatchObject({ matchedCount: 2, modifiedCount: 2 });

    const one = await UserModel.findOne({ email: 'u1@example.com' }).orFail();
    await one.deleteOne();
    expect(await UserModel.find({ name: 'U' }).distinct('email')).toEqual(['u2@example.com']);
  });
});

describe('duplicates', () => {
  it('creating a second user with the same email fails with MongoServerError 11000', async () => {
    await UserModel.create({ email: 'dup@example.com', name: 'First' });

    const error = await captureServerError(
      UserModel.create({ email: 'DUP@example.com', name: 'Second' }),
    );

    expect(error).toBeInstanceOf(MongoServerError);
    expect(error.code).toBe(11000);
    expect(error.keyPattern).toEqual({ email: 1 });
    expect(error.keyValue).toEqual({ email: 'dup@example.com' });
    expect(await UserModel.countDocuments()).toBe(1);
  });

  it('saving a changed email onto a taken one fails with 11000 and keeps the old value', async () => {
    await UserModel.create({ email: 'taken@example.com', name: 'Taken' });
    const other = await UserModel.create({ email: 'other@example.com', name: 'Other' });

    other.email = 'taken@example.com';
    const error = await captureServerError(other.save());

    expect(error.code).toBe(11000);
    expect((await UserModel.findById(other._id).lean())?.email).toBe('other@example.com');
  });

  it('findOneAndUpdate onto a taken email fails with DuplicateKey', async () => {
    await UserModel.create({ email: 'x@example.com', name: 'X' });
    await UserModel.create({ email: 'y@example.com', name: 'Y' });

    const error = await captureServerError(
      UserModel.findOneAndUpdate({ email: 'y@example.com' }, { $set: { email: 'x@example.com' } }),
    );

    expect(error.code).toBe(11000);
    expect(error.codeName).toBe('DuplicateKey');
  });
});
