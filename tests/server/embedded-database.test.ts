import { MongoClient, MongoServerError } from 'mongodb';
import { startKeycard, type KeycardProcess } from '../helpers/real-processes';

// keycard with no MONGO_URI starts the embedded database inside its own process, listening on
// 127.0.0.1, where every local user can reach it. It must demand a login, with credentials only
// keycard knows, and never write them to its logs.

let keycard: KeycardProcess;
let databaseAddress: string;

beforeAll(async () => {
  keycard = await startKeycard({
    NODE_ENV: 'development',
    EMBEDDED_MONGO: 'wire',
    // NODE_ENV=development would keep the data in the project's .keycard-data/: an account
    // registered by one run would be there for the next (embedded-data.test.ts covers that).
    EMBEDDED_MONGO_DBPATH: 'memory',
  });
  const warning = keycard
    .output()
    .split('\n')
    .map((line) => (line.startsWith('{') ? (JSON.parse(line) as Record<string, unknown>) : {}))
    .find((entry) => String(entry.msg).startsWith('MONGO_URI is not set'));
  databaseAddress = String(warning?.address);
});
afterAll(() => keycard.stop());

describe('keycard on its embedded database', () => {
  it('logs where the database listens, and no connection string at all', () => {
    expect(databaseAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    const logs = keycard.output();
    expect(logs).toContain(`at ${databaseAddress}, with a login for this run only`);
    expect(logs).not.toMatch(/mongodb:\/\//);
    expect(logs).not.toMatch(/@127\.0\.0\.1/);
  });

  it('works for keycard itself, which logs in', async () => {
    const response = await fetch(`${keycard.url}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'Local',
        email: 'local@example.com',
        password: 'a long enough password 1',
      }),
    });
    expect(response.status).toBe(201);
    await expect(fetch(`${keycard.url}/health`).then((r) => r.json())).resolves.toEqual({
      status: 'ok',
    });
  });

  it('refuses another local process without the credentials (Unauthorized, 13)', async () => {
    const intruder = await MongoClient.connect(`mongodb://${databaseAddress}/`);
    try {
      const users = intruder.db('keycard').collection('users');
      for (const attempt of [
        () => users.find({}).toArray(),
        () => users.updateMany({}, { $set: { role: 'admin' } }),
      ]) {
        const error = await attempt().catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(MongoServerError);
        expect((error as MongoServerError).code).toBe(13);
      }
    } finally {
      await intruder.close();
    }
  });
});
