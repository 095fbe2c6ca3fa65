import { randomBytes } from 'node:crypto';

/** The server the Jest global setup started (or MONGO_URI), with a database name of its own. */
export function testDatabase(label: string): { uri: string; dbName: string } {
  const uri = process.env.KEYCARD_TEST_MONGO_URI;
  if (!uri) throw new Error('KEYCARD_TEST_MONGO_URI is unset: run the tests through Jest');
  const safeLabel = label.replace(/[^a-z0-9]/gi, '_').slice(0, 30);
  return { uri, dbName: `test_${safeLabel}_${randomBytes(4).toString('hex')}` };
}
