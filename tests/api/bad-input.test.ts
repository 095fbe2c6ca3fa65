import type { Response } from 'supertest';
import { createTestApp, createUser, request, type TestApp } from '../helpers/test-app';

let testApp: TestApp;

beforeAll(async () => {
  testApp = await createTestApp('bad_input');
});
afterAll(() => testApp.close());

function expectJsonError(
  response: Response,
  status: number,
  body: { error: string; code: string },
): void {
  expect(response.status).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  expect(response.body).toEqual(body);
  expect(response.text).not.toMatch(/<html|stack|node_modules|at .*\(/i);
}

describe('bad input', () => {
  it('malformed JSON responds 400 invalid_json', async () => {
    const response = await request(testApp.app)
      .post('/api/auth/login')
      .set('Content-Type', 'application/json')
      .send('{"email": "a@example.com", "password": ');
    expectJsonError(response, 400, { error: 'Malformed JSON body', code: 'invalid_json' });
  });

  it('a JSON body that is not an object or array responds 400 invalid_json', async () => {
    const response = await request(testApp.app)
      .post('/api/auth/login')
      .set('Content-Type', 'application/json')
      .send('"just a string"');
    expectJsonError(response, 400, { error: 'Malformed JSON body', code: 'invalid_json' });
  });

  it('a body over 100 kB responds 413 payload_too_large and writes nothing', async () => {
    const response = await request(testApp.app)
      .post('/api/auth/register')
      .send({ name: 'n'.repeat(101 * 1024), email: 'big@example.com', password: 'password-123' });
    expectJsonError(response, 413, {
      error: 'Request body is too large',
      code: 'payload_too_large',
    });
    expect(await testApp.context.core.users.countDocuments({ email: 'big@example.com' })).toBe(0);
  });

  it.each([
    ['text/plain', 'email=a@example.com'],
    ['application/x-www-form-urlencoded', 'email=a%40example.com&password=password-123'],
    ['multipart/form-data; boundary=x', '--x\r\n\r\n--x--'],
  ])('a %s body responds 415 unsupported_media_type', async (type, body) => {
    const response = await request(testApp.app)
      .post('/api/auth/register')
      .set('Content-Type', type)
      .send(body);
    expectJsonError(response, 415, {
      error: 'Content-Type must be application/json',
      code: 'unsupported_media_type',
    });
  });

  it('a POST without a body responds 400 validation_error', async () => {
    const response = await request(testApp.app).post('/api/auth/login');
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('validation_error');
    expect(response.body.details).toEqual([
      { path: '', message: 'Request body must be a JSON object' },
    ]);
  });

  it('a +json media type is parsed as JSON', async () => {
    const response = await request(testApp.app)
      .post('/api/auth/login')
      .set('Content-Type', 'application/merge-patch+json')
      .send(JSON.stringify({ email: 'nobody@example.com', password: 'password-123' }));
    expect(response.status).toBe(401);
    expect(response.body.code).toBe('invalid_credentials');
  });

  it('a path with broken percent-encoding responds 400 bad_request, not 500', async () => {
    const { token } = await createUser(testApp, { role: 'admin' });
    const response = await request(testApp.app)
      .get('/api/admin/users/%E0%A4%A')
      .set('Authorization', `Bearer ${token}`);
    expectJsonError(response, 400, { error: 'Malformed request', code: 'bad_request' });
  });

  it('every 401 carries a Bearer challenge', async () => {
    const response = await request(testApp.app)
      .post('/api/auth/login')
      .send({ email: 'nobody@example.com', password: 'password-123' });
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="keycard"');
    const refresh = await request(testApp.app)
      .post('/api/auth/refresh')
      .send({ refreshToken: 'garbage' });
    expect(refresh.status).toBe(401);
    expect(refresh.headers['www-authenticate']).toBe('Bearer realm="keycard"');
  });

  it('a JSON content type with a charset is accepted', async () => {
    const response = await request(testApp.app)
      .post('/api/auth/login')
      .set('Content-Type', 'application/json; charset=utf-8')
      .send(JSON.stringify({ email: 'nobody@example.com', password: 'password-123' }));
    expect(response.status).toBe(401);
  });

  it.each([
    ['GET', '/nope'],
    ['GET', '/api'],
    ['POST', '/api/auth/unknown'],
    ['GET', '/api/auth/login'],
  ])('%s %s responds 404 not_found as JSON', async (method, path) => {
    const response = await request(testApp.app)[method.toLowerCase() as 'get' | 'post'](path);
    expectJsonError(response, 404, { error: 'Not found', code: 'not_found' });
  });

  it('an unexpected failure responds 500 internal_error with no details', async () => {
    const failure = jest.spyOn(testApp.context.core.users, 'findOne').mockImplementation(() => {
      throw new Error('database exploded at /secret/path.ts:12');
    });
    try {
      const response = await request(testApp.app)
        .post('/api/auth/login')
        .send({ email: 'a@example.com', password: 'password-123' });
      expectJsonError(response, 500, { error: 'Internal Server Error', code: 'internal_error' });
      expect(response.text).not.toContain('exploded');
    } finally {
      failure.mockRestore();
    }
  });

  it('does not announce Express in the headers', async () => {
    const response = await request(testApp.app).get('/');
    expect(response.headers['x-powered-by']).toBeUndefined();
  });
});
