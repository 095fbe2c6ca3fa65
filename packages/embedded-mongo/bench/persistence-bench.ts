import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient, type Document } from 'mongodb';
import { startWireServer, type WireServer } from '../src';

// What a data directory costs the wire server: inserts per second through the driver, in memory
// and on disk, and the start-up time with 100,000 documents, from a snapshot and from a journal.
// BENCH_DIR names where the data directories go (default: the OS's temporary directory); fsync
// costs what that disk charges.

const documentCount = 100_000;
const batchSize = 1_000;
const singleInserts = 5_000;

function user(index: number): Document {
  return {
    email: `user-${index}@bench.example.com`,
    name: `Bench User ${index}`,
    passwordHash: `$2b$12$${'x'.repeat(53)}`,
    role: 'user',
    credentialsVersion: 0,
    createdAt: new Date(),
  };
}

async function timed<T>(run: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await run();
  return { result, ms: performance.now() - started };
}

const perSecond = (count: number, ms: number) => Math.round((count / ms) * 1000);

/** insertOne after insertOne, each waiting for its reply. */
async function singleInsertRate(
  server: WireServer,
  collection: string,
  writeConcern: Document = {},
): Promise<number> {
  const client = await MongoClient.connect(server.uri);
  const users = client.db('bench').collection(collection);
  await users.createIndex({ email: 1 }, { unique: true });
  const { ms } = await timed(async () => {
    for (let index = 0; index < singleInserts; index++) {
      await users.insertOne(user(index), { writeConcern });
    }
  });
  await client.close();
  return perSecond(singleInserts, ms);
}

/** 100,000 users in insertMany batches of 1,000, behind a unique email index. */
async function fill(server: WireServer): Promise<number> {
  const client = await MongoClient.connect(server.uri);
  const users = client.db('bench').collection('users');
  await users.createIndex({ email: 1 }, { unique: true });
  const { ms } = await timed(async () => {
    for (let start = 0; start < documentCount; start += batchSize) {
      await users.insertMany(
        Array.from({ length: batchSize }, (_, offset) => user(start + offset)),
      );
    }
  });
  await client.close();
  return perSecond(documentCount, ms);
}

/** A copy of the files as a crash would leave them, without the lock of this (live) process. */
function crashImage(dbPath: string, into: string): void {
  fs.mkdirSync(into);
  for (const name of fs.readdirSync(dbPath)) {
    if (name !== 'wire-server.lock')
      fs.copyFileSync(path.join(dbPath, name), path.join(into, name));
  }
}

async function startUpMs(dbPath: string): Promise<number> {
  const { result: server, ms } = await timed(() =>
    startWireServer({ dbPath, log: () => undefined }),
  );
  const client = await MongoClient.connect(server.uri);
  const count = await client.db('bench').collection('users').countDocuments();
  await client.close();
  if (count !== documentCount)
    throw new Error(`expected ${documentCount} documents, found ${count}`);
  await server.stop();
  return ms;
}

const megabytes = (file: string) => (fs.statSync(file).size / 1024 / 1024).toFixed(1);

async function main(): Promise<void> {
  const root = fs.mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'wire-bench-'));
  const rows: string[] = [];
  try {
    const memory = await startWireServer();
    // Warm the JIT up on the whole path, so the first figure is not measured cold.
    await singleInsertRate(memory, 'warmup');
    rows.push(
      `insertOne, in memory:              ${await singleInsertRate(memory, 'single')} inserts/s`,
    );
    rows.push(`insertMany 100k, in memory:        ${await fill(memory)} documents/s`);
    await memory.stop();

    const dbPath = path.join(root, 'data');
    // No checkpoint while filling: the journal alone then holds the 100,000 documents.
    const disk = await startWireServer({ dbPath, checkpointJournalBytes: 1024 ** 3 });
    rows.push(
      `insertOne, on disk (w: 1):         ${await singleInsertRate(disk, 'single')} inserts/s`,
    );
    rows.push(
      `insertOne, on disk (j: true):      ${await singleInsertRate(disk, 'journaled', { j: true })} inserts/s`,
    );
    rows.push(`insertMany 100k, on disk:          ${await fill(disk)} documents/s`);
    const journalImage = path.join(root, 'journal-only');
    crashImage(dbPath, journalImage);
    const journalMegabytes = megabytes(path.join(journalImage, 'wire-journal.bson'));
    const { ms: stopMs } = await timed(() => disk.stop());
    rows.push(`stop with a checkpoint of 110k:    ${stopMs.toFixed(0)} ms`);

    rows.push(
      `start-up, 110k from a snapshot:     ${(await startUpMs(dbPath)).toFixed(0)} ms (${megabytes(path.join(dbPath, 'wire-snapshot.bson'))} MB)`,
    );
    rows.push(
      `start-up, 110k from the journal:    ${(await startUpMs(journalImage)).toFixed(0)} ms (${journalMegabytes} MB)`,
    );
    const { ms: emptyMs, result: empty } = await timed(() => startWireServer());
    await empty.stop();
    rows.push(`start-up, in memory (always empty): ${emptyMs.toFixed(0)} ms`);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  console.log(rows.join('\n'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
