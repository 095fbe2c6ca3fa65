import { createTestApp, createUser, request, type TestApp } from '../helpers/test-app';

interface LogLine {
  level: number;
  requestId?: string;
  msg: string;
  err?: { message: string };
  code?: string;
}

const ERROR_LEVEL = 50;
const lines: string[] = [];
let testApp: TestApp;

beforeAll(async () => {
  testApp = await createTestApp('server_errors', {}, { logLines: lines });
});
afterAll(() => testApp.close());

function errorLinesOf(requestId: string): LogLine[] {
  return lines
    .map((line) => JSON.parse(line) as LogLine)
    .filter((line) => line.requestId === requestId && line.level >= ERROR_LEVEL);
}

describe('a 5xx', () => {
  it('when the rate-limit store fails, answers 503 and logs the cause once with the request id', async () => {
    const { user, password } = await createUser(testApp);
    const store = testApp.context.limiters.loginPerIp.store;
    const consume = jest.spyOn(store, 'consume').mockRejectedValue(new Error('store went away'));
    try {
      const response = await request(testApp.app)
        .post('/api/auth/login')
        .set('X-Request-Id', 'limiter-down-1')
        .send({ email: user.email, password });
      expect(response.status).toBe(503);
      expect(response.body).toEqual({
        error: 'Service temporarily unavailable',
        code: 'service_unavailable',
      });
      expect(JSON.stringify(response.body)).not.toContain('store went away');
      const logged = errorLinesOf('limiter-down-1');
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatchObject({
        code: 'service_unavailable',
        err: { message: 'store went away' },
      });
    } finally {
      consume.mockRestore();
    }
  });

  it('when something unexpected throws, answers a bare 500 and logs it once', async () => {
    const { token } = await createUser(testApp);
    const findById = jest.spyOn(testApp.context.core.users, 'findById').mockImplementation(() => {
      throw new Error('boom from the model');
    });
    try {
      const response = await request(testApp.app)
        .get('/api/profile')
        .set('Authorization', `Bearer ${token}`)
        .set('X-Request-Id', 'unexpected-1');
      expect(response.status).toBe(500);
      expect(response.body).toEqual({ error: 'Internal Server Error', code: 'internal_error' });
      const logged = errorLinesOf('unexpected-1');
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatchObject({
        code: 'internal_error',
        err: { message: 'boom from the model' },
      });
    } finally {
      findById.mockRestore();
    }
  });
});
