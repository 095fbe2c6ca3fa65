import { randomBytes } from 'node:crypto';

/** The server the Jest global setup started (or MONGO_URI), with a database name of its own. */
export function testDatabase(label: string): { uri: string; dbName: string } {
  const uri = process.env.EMBEDDED_MONGO_TEST_URI;
  if (!uri) throw new Error('EMBEDDED_MONGO_TEST_URI is unset: run the tests through Jest');
  const safeLabel = label.replace(/[^a-z0-9]/gi, '_').slice(0, 30);
  return { uri, dbName: `test_${safeLabel}_${randomBytes(4).toString('hex')}` };
}
