import fs from 'node:fs';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { parseEmbeddedMongoMode, startEmbeddedMongo, type EmbeddedMongoOptions } from '../src';
import { mongodInstanceOptions } from '../src/launcher';
import { temporaryDirectory } from './helpers/server-process';

describe('parseEmbeddedMongoMode', () => {
  it.each([
    [undefined, 'auto'],
    ['', 'auto'],
    ['auto', 'auto'],
    ['mongod', 'mongod'],
    ['wire', 'wire'],
  ])('reads %p as %p', (value, mode) => {
    expect(parseEmbeddedMongoMode(value)).toBe(mode);
  });

  it.each(['Wire', 'memory', 'true'])('rejects %p naming the allowed values', (value) => {
    expect(() => parseEmbeddedMongoMode(value)).toThrow(
      `embedded MongoDB mode must be one of auto, mongod, wire; got "${value}"`,
    );
  });

  it.each(['Wire', 'memory', 'true'])('rejects %p in the words of the caller', (value) => {
    expect(() => parseEmbeddedMongoMode(value, 'EMBEDDED_MONGO')).toThrow(
      `EMBEDDED_MONGO must be one of auto, mongod, wire; got "${value}"`,
    );
  });
});

describe('startEmbeddedMongo', () => {
  const originalMode = process.env.EMBEDDED_MONGO;

  afterEach(() => {
    if (originalMode === undefined) delete process.env.EMBEDDED_MONGO;
    else process.env.EMBEDDED_MONGO = originalMode;
  });

  it('when the mode is not auto, mongod or wire, rejects before starting anything', async () => {
    // As a JavaScript caller, or a cast, could pass it.
    const options = { mode: 'bogus', log: () => undefined } as unknown as EmbeddedMongoOptions;
    await expect(startEmbeddedMongo(options)).rejects.toThrow(
      'embedded MongoDB mode must be one of auto, mongod, wire; got "bogus"',
    );
  });

  it('takes its mode from its options only, never from EMBEDDED_MONGO', async () => {
    process.env.EMBEDDED_MONGO = 'bogus';
    // No mode given: 'auto' applies, whatever the embedding program's variables say.
    const mongo = await startEmbeddedMongo({ allowDownload: false, log: () => undefined });
    await mongo.stop();
    expect(['wire', 'mongod']).toContain(mongo.kind);
  });

  it('in wire mode, serves the driver on 127.0.0.1 and logs once which server ran', async () => {
    const messages: string[] = [];
    const mongo = await startEmbeddedMongo({ mode: 'wire', log: (line) => messages.push(line) });
    try {
      expect(mongo.kind).toBe('wire');
      expect(mongo.uri).toMatch(/^mongodb:\/\/127\.0\.0\.1:\d+\/$/);
      expect(mongo.address).toBe(mongo.uri.slice('mongodb://'.length, -1));
      expect(messages).toEqual([
        `embedded MongoDB: in-process wire server at ${mongo.address}, data in memory (mode 'wire' requested)`,
      ]);
      const client = await MongoClient.connect(mongo.uri);
      await expect(client.db('smoke').command({ ping: 1 })).resolves.toEqual({ ok: 1 });
      await client.close();
    } finally {
      await mongo.stop();
    }
  });

  it('with auth, puts random credentials in the URI only and logs host:port', async () => {
    const messages: string[] = [];
    const mongo = await startEmbeddedMongo({
      mode: 'wire',
      auth: true,
      log: (line) => messages.push(line),
    });
    try {
      const { username, password, port } = new URL(mongo.uri);
      expect(username).not.toBe('');
      expect(password).not.toBe('');
      expect(mongo.address).toBe(`127.0.0.1:${port}`);
      expect(messages).toEqual([
        `embedded MongoDB: in-process wire server at ${mongo.address}, data in memory (mode 'wire' requested, login required)`,
      ]);
      const client = await MongoClient.connect(mongo.uri);
      await expect(client.db('smoke').collection('c').countDocuments()).resolves.toBe(0);
      await client.close();
      const anonymous = await MongoClient.connect(`mongodb://${mongo.address}/`);
      await expect(anonymous.db('smoke').collection('c').countDocuments()).rejects.toMatchObject({
        code: 13,
      });
      await anonymous.close();
    } finally {
      await mongo.stop();
    }
  });

  it('with a port, listens on it', async () => {
    const first = await startEmbeddedMongo({ mode: 'wire', log: () => undefined });
    const port = Number(new URL(first.uri).port);
    await first.stop();
    const mongo = await startEmbeddedMongo({ mode: 'wire', port, log: () => undefined });
    try {
      expect(mongo.uri).toBe(`mongodb://127.0.0.1:${port}/`);
    } finally {
      await mongo.stop();
    }
  });

  it('with a dbPath in wire mode, keeps the data there and says where it lives', async () => {
    const parent = temporaryDirectory('launcher');
    const relative = path.relative(process.cwd(), path.join(parent, 'data'));
    const messages: string[] = [];
    try {
      const first = await startEmbeddedMongo({
        mode: 'wire',
        dbPath: relative,
        log: (line) => messages.push(line),
      });
      expect(first.dbPath).toBe(path.join(parent, 'data'));
      expect(messages).toEqual([expect.stringContaining(`data in ${first.dbPath} (mode 'wire'`)]);
      const client = await MongoClient.connect(first.uri);
      await client.db('app').collection('kept').insertOne({ kept: true });
      await client.close();
      await first.stop();

      const second = await startEmbeddedMongo({
        mode: 'wire',
        dbPath: relative,
        log: () => undefined,
      });
      const again = await MongoClient.connect(second.uri);
      try {
        expect(await again.db('app').collection('kept').countDocuments({ kept: true })).toBe(1);
      } finally {
        await again.close();
        await second.stop();
      }
    } finally {
      fs.rmSync(parent, { recursive: true, force: true });
    }
  });

  it('with a dbPath and auth, keeps the data but no credentials: each run makes new ones', async () => {
    const dbPath = temporaryDirectory('launcher-auth');
    const options: EmbeddedMongoOptions = {
      mode: 'wire',
      dbPath,
      auth: true,
      log: () => undefined,
    };
    try {
      const first = await startEmbeddedMongo(options);
      const firstUri = new URL(first.uri);
      const client = await MongoClient.connect(first.uri);
      await client.db('app').collection('kept').insertOne({ kept: true });
      await client.close();
      await first.stop();

      const second = await startEmbeddedMongo(options);
      try {
        const secondUri = new URL(second.uri);
        expect(secondUri.username).not.toBe(firstUri.username);
        expect(secondUri.password).not.toBe(firstUri.password);
        const again = await MongoClient.connect(second.uri);
        try {
          expect(await again.db('app').collection('kept').countDocuments({ kept: true })).toBe(1);
        } finally {
          await again.close();
        }
        // The last run's credentials are worthless now, and no file holds either run's.
        firstUri.port = secondUri.port;
        const stale = new MongoClient(firstUri.href, { serverSelectionTimeoutMS: 2_000 });
        await expect(stale.db('app').command({ ping: 1 })).rejects.toMatchObject({ code: 18 });
        await stale.close();
        for (const file of fs.readdirSync(dbPath)) {
          const bytes = fs.readFileSync(path.join(dbPath, file)).toString('latin1');
          for (const secret of [firstUri, secondUri].flatMap((uri) => [
            uri.username,
            uri.password,
          ])) {
            expect(bytes).not.toContain(decodeURIComponent(secret));
          }
        }
      } finally {
        await second.stop();
      }
    } finally {
      fs.rmSync(dbPath, { recursive: true, force: true });
    }
  });

  it("warns when the wire server opens a directory that holds a mongod's files", async () => {
    const dbPath = temporaryDirectory('launcher-mongod-files');
    fs.writeFileSync(path.join(dbPath, 'WiredTiger'), 'WiredTiger\n');
    const messages: string[] = [];
    try {
      const mongo = await startEmbeddedMongo({
        mode: 'wire',
        dbPath,
        log: (line) => messages.push(line),
      });
      await mongo.stop();
      expect(messages).toContainEqual(
        `embedded MongoDB: ${dbPath} also holds data written by a mongod, which this wire server cannot read; each kind sees only its own`,
      );
    } finally {
      fs.rmSync(dbPath, { recursive: true, force: true });
    }
  });

  it('gives a mongod the dbPath as its own, on WiredTiger, which keeps its files', () => {
    expect(mongodInstanceOptions({ port: 27017, dbPath: '/srv/data' })).toEqual({
      ip: '127.0.0.1',
      port: 27017,
      dbPath: '/srv/data',
      storageEngine: 'wiredTiger',
    });
    // Without one, mongodb-memory-server picks a temporary directory and removes it at stop.
    expect(mongodInstanceOptions({ port: undefined, dbPath: undefined })).toEqual({
      ip: '127.0.0.1',
      port: undefined,
    });
  });

  const noSystemBinary = process.env.MONGOMS_SYSTEM_BINARY === undefined;
  (noSystemBinary ? it : it.skip)(
    'in auto mode without a binary or download, falls back to the wire server and says why',
    async () => {
      const messages: string[] = [];
      const started = Date.now();
      const mongo = await startEmbeddedMongo({
        mode: 'auto',
        allowDownload: false,
        log: (line) => messages.push(line),
      });
      await mongo.stop();
      if (mongo.kind === 'wire') {
        expect(messages).toEqual([expect.stringContaining('downloading is disabled')]);
      }
      expect(Date.now() - started).toBeLessThan(5_000);
    },
  );

  (noSystemBinary ? it : it.skip)(
    'in mongod mode without any mongod, fails with an error that says what to do',
    async () => {
      const attempt = startEmbeddedMongo({
        mode: 'mongod',
        allowDownload: false,
        log: () => undefined,
      });
      await attempt.then(
        (mongo) => mongo.stop(), // a cached binary exists on this machine: nothing to assert
        (error: unknown) => {
          expect(String(error)).toContain("mode 'mongod' was requested but no mongod is available");
          expect(String(error)).toContain('MONGOMS_SYSTEM_BINARY');
        },
      );
    },
  );
});
