import net from 'node:net';
import { MongoClient } from 'mongodb';
import { startWireServer, type WireServer } from '../../src';

describe('wire server', () => {
  let server: WireServer;
  let client: MongoClient;

  beforeEach(async () => {
    server = await startWireServer();
    client = await MongoClient.connect(server.uri);
  });

  afterEach(async () => {
    await client.close(true);
    await server.stop();
  });

  it('listens on 127.0.0.1 on a free port', () => {
    expect(server.uri).toBe(`mongodb://127.0.0.1:${server.port}/`);
    expect(server.port).toBeGreaterThan(0);
  });

  it('stop() closes every open socket', async () => {
    const socket = net.connect(server.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    await server.stop();
    await expect(closed).resolves.toBeDefined();
  });

  it('sweepExpired() removes documents past their TTL at once', async () => {
    const sessions = client.db('ttl').collection('sessions');
    await sessions.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 });
    await sessions.insertMany([
      { expiresAt: new Date(Date.now() - 1_000) },
      { expiresAt: new Date(Date.now() + 60_000) },
      { expiresAt: 'not a date' },
    ]);
    expect(server.sweepExpired()).toBe(1);
    expect(await sessions.countDocuments()).toBe(2);
  });

  it('setParameter ttlMonitorSleepSecs speeds up the background sweep', async () => {
    const admin = client.db('admin');
    await expect(admin.command({ setParameter: 1, ttlMonitorSleepSecs: 1 })).resolves.toEqual({
      was: 60,
      ok: 1,
    });
    await expect(admin.command({ getParameter: 1, ttlMonitorSleepSecs: 1 })).resolves.toEqual({
      ttlMonitorSleepSecs: 1,
      ok: 1,
    });
    const sessions = client.db('ttl').collection('sessions');
    await sessions.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 });
    await sessions.insertOne({ expiresAt: new Date(Date.now() - 1_000) });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await sessions.countDocuments()).toBe(0);
  });

  it('answers garbage with an error or a closed socket, and keeps serving others', async () => {
    const socket = net.connect(server.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const header = Buffer.alloc(21);
    header.writeInt32LE(21, 0);
    header.writeInt32LE(7, 4);
    header.writeInt32LE(0, 8);
    header.writeInt32LE(2013, 12); // OP_MSG whose body is not BSON
    const answered = new Promise((resolve) => {
      socket.once('data', resolve);
      socket.once('close', resolve);
    });
    socket.write(header);
    await answered;
    socket.destroy();
    await expect(client.db('still').command({ ping: 1 })).resolves.toEqual({ ok: 1 });
  });

  it('finds by a unique key through the hash index as fast at 20,000 documents as at 10', async () => {
    const users = client.db('speed').collection('users');
    await users.createIndex({ email: 1 }, { unique: true });
    // The fastest of three rounds: a pause of a busy machine slows one round, a scan every one.
    const timeLookups = async () => {
      const rounds: number[] = [];
      for (let round = 0; round < 3; round++) {
        const started = performance.now();
        for (let index = 0; index < 200; index++) await users.findOne({ email: 'user-5@x.test' });
        rounds.push(performance.now() - started);
      }
      return Math.min(...rounds);
    };
    await users.insertMany(
      Array.from({ length: 10 }, (_, index) => ({ email: `user-${index}@x.test` })),
    );
    await timeLookups(); // warm-up
    const small = await timeLookups();
    await users.insertMany(
      Array.from({ length: 20_000 }, (_, index) => ({ email: `bulk-${index}@x.test` })),
    );
    const large = await timeLookups();
    // A scan of 20,000 documents per lookup would be orders of magnitude slower.
    expect(large).toBeLessThan(small * 3 + 50);
  });
});
