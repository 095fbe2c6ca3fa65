import mongoose, { Schema } from 'mongoose';
import { startEmbeddedMongo, type EmbeddedMongo } from '@keycard/embedded-mongo';

// Insert and findOne-by-unique-key throughput through Mongoose at two collection sizes.
// With MONGO_URI set it measures that server (e.g. a real mongod); otherwise the embedded one.
// The figures must not fall as the collection grows: both operations go through hash lookups.

const sizes = [1_000, 100_000];
const prefillBatch = 10_000;
const maxOpsPerMeasurement = 10_000;
const warmupOps = 2_000;
const maxMsPerMeasurement = 3_000;

interface Measurement {
  ops: number;
  opsPerSecond: number;
}

async function measure(operation: (index: number) => Promise<unknown>): Promise<Measurement> {
  const started = performance.now();
  let ops = 0;
  while (ops < maxOpsPerMeasurement && performance.now() - started < maxMsPerMeasurement) {
    await operation(ops);
    ops++;
  }
  const seconds = (performance.now() - started) / 1000;
  return { ops, opsPerSecond: Math.round(ops / seconds) };
}

async function main(): Promise<void> {
  let embedded: EmbeddedMongo | undefined;
  let uri = process.env.MONGO_URI;
  if (!uri) {
    embedded = await startEmbeddedMongo({
      allowDownload: false,
      log: (line) => console.error(line),
    });
    uri = embedded.uri;
  }
  const target = embedded ? `embedded ${embedded.kind}` : 'MONGO_URI';
  const dbName = `keycard_bench_${Date.now()}`;
  await mongoose.connect(uri, { dbName });
  const BenchUser = mongoose.model(
    'BenchUser',
    new Schema({ email: { type: String, required: true, unique: true }, name: String }),
  );
  await BenchUser.init();

  const rows: string[] = [];
  // Warm up the JIT on both paths so the first size is not measured cold.
  for (let index = 0; index < warmupOps; index++) {
    await BenchUser.create({ email: `warmup-${index}@bench.test`, name: 'Warmup' });
    await BenchUser.findOne({ email: `warmup-${index}@bench.test` }).lean();
  }
  await BenchUser.deleteMany({});
  let prefilled = 0;
  let inserted = 0;
  try {
    for (const size of sizes) {
      // Documents inserted by earlier measurements count towards the size already present.
      while (prefilled + inserted < size) {
        const count = Math.min(prefillBatch, size - prefilled - inserted);
        const batch = Array.from({ length: count }, (_, offset) => ({
          email: `prefill-${prefilled + offset}@bench.test`,
          name: 'Prefilled User',
        }));
        await BenchUser.insertMany(batch, { lean: true });
        prefilled += count;
      }
      const insert = await measure(async () => {
        await BenchUser.create({ email: `new-${inserted++}@bench.test`, name: 'New User' });
      });
      const findOne = await measure(async (index) => {
        const email = `prefill-${(index * 7919) % prefilled}@bench.test`;
        const found = await BenchUser.findOne({ email }).lean();
        if (!found) throw new Error(`missing ${email}`);
      });
      rows.push(
        `${String(size).padStart(7)} docs | insert ${String(insert.opsPerSecond).padStart(6)} ops/s | findOne ${String(findOne.opsPerSecond).padStart(6)} ops/s`,
      );
    }
  } finally {
    await mongoose.connection.dropDatabase();
    await mongoose.disconnect();
    await embedded?.stop();
  }
  console.log(`mongo bench (${target}, Mongoose ${mongoose.version}, unique index on email)`);
  for (const row of rows) console.log(row);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
