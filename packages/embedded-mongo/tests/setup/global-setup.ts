import { startEmbeddedMongo, type EmbeddedMongo } from '../../src';

declare global {
  var embeddedMongoTestServer: EmbeddedMongo | undefined;
}

// One database server per test run; every test file opens its own database on it (see
// tests/helpers/test-database.ts), so files can run in parallel without seeing each other's data.
// MONGO_URI points the whole suite at another server, e.g. a real mongod, to check that the
// conformance tests describe mongod and not just this package.
export default async function globalSetup(): Promise<void> {
  if (process.env.MONGO_URI) {
    process.env.EMBEDDED_MONGO_TEST_URI = process.env.MONGO_URI;
    return;
  }
  // Tests talk to 127.0.0.1 only: never try to download a mongod from here. With a login, as
  // keycard runs it: every conformance test then also shows the driver, Mongoose and
  // RateLimiterMongo working through SCRAM-SHA-256.
  const mongo = await startEmbeddedMongo({ allowDownload: false, auth: true });
  globalThis.embeddedMongoTestServer = mongo;
  process.env.EMBEDDED_MONGO_TEST_URI = mongo.uri;
}
