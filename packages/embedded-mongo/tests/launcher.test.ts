import { MongoClient } from 'mongodb';
import { parseEmbeddedMongoMode, startEmbeddedMongo } from '../src';

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

  it('when EMBEDDED_MONGO holds a bad value, rejects before starting anything', async () => {
    process.env.EMBEDDED_MONGO = 'bogus';
    await expect(startEmbeddedMongo({ log: () => undefined })).rejects.toThrow(
      'EMBEDDED_MONGO must be one of auto, mongod, wire; got "bogus"',
    );
  });

  it('in wire mode, serves the driver on 127.0.0.1 and logs once which server ran', async () => {
    const messages: string[] = [];
    const mongo = await startEmbeddedMongo({ mode: 'wire', log: (line) => messages.push(line) });
    try {
      expect(mongo.kind).toBe('wire');
      expect(mongo.uri).toMatch(/^mongodb:\/\/127\.0\.0\.1:\d+\/$/);
      expect(messages).toHaveLength(1);
      expect(messages[0]).toContain('wire server');
      const client = await MongoClient.connect(mongo.uri);
      await expect(client.db('smoke').command({ ping: 1 })).resolves.toEqual({ ok: 1 });
      await client.close();
    } finally {
      await mongo.stop();
    }
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
