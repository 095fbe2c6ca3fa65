import type { Express } from 'express';
import { startWireServer, type WireServer } from '@keycard/embedded-mongo';
import type { AppContext } from '../../src/context';
import { appOnOwnDatabase, closeOwnDatabaseApp } from '../helpers/own-database-app';
import { request } from '../helpers/test-app';

// A database that comes back EMPTY on the same port (a fresh container, a restore without
// indexes): keycard must build its unique email index again, or duplicates get in.
jest.setTimeout(40_000);

const REBUILT = 'indexes checked after the database came back';
const lines: string[] = [];
let database: WireServer;
let context: AppContext;
let app: Express;

beforeAll(async () => {
  ({ database, context, app } = await appOnOwnDatabase('reindex', lines));
});
afterAll(async () => {
  await closeOwnDatabaseApp(context);
  await database.stop();
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function register() {
  return request(app)
    .post('/api/auth/register')
    .send({ name: 'Twice', email: 'twice@example.com', password: 'reindex password 1' });
}

describe('when the database restarts empty on the same port', () => {
  it('builds the unique index again: three registrations of one email give one 201 and two 409', async () => {
    expect((await register()).status).toBe(201);
    const port = database.port;
    await database.stop();
    database = await startWireServer({ host: '127.0.0.1', port });

    // /health makes the driver notice the dropped connection at once instead of at its next
    // heartbeat; the log line says the rebuild after the reconnect has finished.
    const deadline = Date.now() + 15_000;
    while (!lines.some((line) => line.includes(REBUILT))) {
      if (Date.now() > deadline) throw new Error(`no rebuild logged:\n${lines.join('')}`);
      await request(app).get('/health');
      await pause(100);
    }

    const statuses = [(await register()).status, (await register()).status];
    statuses.push((await register()).status);
    expect(statuses).toEqual([201, 409, 409]);
    const stored = await context.core.users.countDocuments({ email: 'twice@example.com' });
    expect(stored).toBe(1);
  });
});
