import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedMongo, type EmbeddedMongo } from '@keycard/embedded-mongo';

declare global {
  var keycardTestMongo: EmbeddedMongo | undefined;
}

// One database server per test run; every test file opens its own database on it (see
// tests/helpers/test-database.ts), so files can run in parallel without seeing each other's data.
export default async function globalSetup(): Promise<void> {
  // Where each API test file writes the operations it exercised (see checked-request.ts).
  process.env.KEYCARD_OPENAPI_LOG_DIR = mkdtempSync(join(tmpdir(), 'keycard-openapi-'));
  if (process.env.MONGO_URI) {
    process.env.KEYCARD_TEST_MONGO_URI = process.env.MONGO_URI;
    return;
  }
  // Tests talk to 127.0.0.1 only: never try to download a mongod from here. No login: some
  // tests name their database by appending it to this URI, which a ?authSource=admin would
  // break. keycard on a database with a login is tested in tests/server/embedded-database.
  const mongo = await startEmbeddedMongo({ allowDownload: false });
  globalThis.keycardTestMongo = mongo;
  process.env.KEYCARD_TEST_MONGO_URI = mongo.uri;
}
