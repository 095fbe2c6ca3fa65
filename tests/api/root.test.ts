import { createApp } from '../../src/app';
import { connectDatabase } from '../../src/db/connect';
import { startWireServer } from '@keycard/embedded-mongo';
import { createLifecycle } from '../../src/http/drain';
import { createTestApp, request, type TestApp } from '../helpers/test-app';

let testApp: TestApp;

beforeAll(async () => {
  testApp = await createTestApp('root');
});
afterAll(() => testApp.close());

describe('GET /', () => {
  it('responds 200 with a welcome naming the endpoints', async () => {
    const response = await request(testApp.app).get('/');
    expect(response.status).toBe(200);
    expect(response.body.name).toBe('keycard');
    expect(response.body.endpoints).toEqual(
      expect.arrayContaining([
        'POST /api/auth/register',
        'POST /api/auth/login',
        'GET /api/profile',
      ]),
    );
  });
});

describe('GET /health', () => {
  it('responds 200 {status: ok} while the database answers', async () => {
    const response = await request(testApp.app).get('/health');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ok' });
  });

  it('while draining for a shutdown, responds 503 {status: draining} and closes the connection', async () => {
    const lifecycle = createLifecycle();
    const app = createApp(testApp.context, { lifecycle });
    await request(app).get('/health').expect(200);
    lifecycle.startDraining();
    const response = await request(app).get('/health');
    expect(response.status).toBe(503);
    expect(response.body).toEqual({ status: 'draining' });
    expect(response.headers.connection).toBe('close');
  });

  it('responds 503 when the database has gone away', async () => {
    const doomed = await startWireServer();
    const connection = await connectDatabase(doomed.uri);
    await doomed.stop();
    try {
      const app = createApp({ ...testApp.context, connection });
      const response = await request(app).get('/health');
      expect(response.status).toBe(503);
      expect(response.body).toEqual({
        error: 'Database unavailable',
        code: 'database_unavailable',
      });
    } finally {
      await connection.close(true);
    }
  });
});
