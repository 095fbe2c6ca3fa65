import type { Express } from 'express';
import type { AppContext } from '../../src/context';
import { appOnOwnDatabase, closeOwnDatabaseApp } from '../helpers/own-database-app';
import { startWireServer, type WireServer } from '@keycard/embedded-mongo';
import { bearer, request } from '../helpers/test-app';

interface LogLine {
  level: number;
}

const ERROR_LEVEL = 50;
const lines: string[] = [];
let database: WireServer;
let port: number;
let context: AppContext;
let app: Express;

beforeAll(async () => {
  ({ database, context, app } = await appOnOwnDatabase('outage', lines));
  port = Number(new URL(database.uri).port);
});
afterAll(async () => {
  await closeOwnDatabaseApp(context);
  await database.stop();
});

describe('when the database goes away', () => {
  it('every route answers 503 database_unavailable with Retry-After within 2 s, logged once', async () => {
    const registered = await request(app)
      .post('/api/auth/register')
      .send({ name: 'Outage', email: 'outage@example.com', password: 'outage password' })
      .expect(201);
    const { token, refreshToken } = registered.body as { token: string; refreshToken: string };
    await database.stop();
    const errorsBefore = errorLines();

    const started = Date.now();
    const responses = await Promise.all([
      request(app).get('/api/profile').set(bearer(token)),
      request(app).patch('/api/profile').set(bearer(token)).send({ name: 'New' }),
      request(app)
        .post('/api/auth/login')
        .send({ email: 'outage@example.com', password: 'outage password' }),
      request(app).post('/api/auth/refresh').send({ refreshToken }),
      request(app)
        .post('/api/auth/register')
        .send({ name: 'Late', email: 'late@example.com', password: 'late password 1' }),
      request(app).get('/api/auth/sessions').set(bearer(token)),
      request(app).get('/health'),
    ]);
    expect(Date.now() - started).toBeLessThan(2500);
    for (const response of responses) {
      expect(response.status).toBe(503);
      expect(response.body).toEqual({
        error: 'Database unavailable',
        code: 'database_unavailable',
      });
      expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
    }
    expect(errorLines() - errorsBefore).toBe(1);
  });

  it('comes back by itself when the database does', async () => {
    database = await startWireServer({ host: '127.0.0.1', port });
    const deadline = Date.now() + 5000;
    let status = 0;
    while (Date.now() < deadline && status !== 200) {
      status = (await request(app).get('/health')).status;
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(status).toBe(200);
  });
});

function errorLines(): number {
  return lines
    .map((line) => JSON.parse(line) as LogLine)
    .filter((line) => line.level >= ERROR_LEVEL).length;
}
