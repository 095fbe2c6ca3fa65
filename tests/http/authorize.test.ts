import express from 'express';
import request from 'supertest';
import { authorize } from '../../src/http/middleware/authorize';
import { errorHandler } from '../../src/http/middleware/error-handler';
import { createLogger } from '../../src/logger';

describe('authorize', () => {
  it('used without authenticate, responds 401 missing_token rather than letting anyone in', async () => {
    const app = express();
    app.get('/secret', authorize('admin'), (_req, res) => {
      res.json({ secret: true });
    });
    app.use(errorHandler(createLogger({ level: 'silent' })));
    const response = await request(app).get('/secret');
    expect(response.status).toBe(401);
    expect(response.body).toEqual({ error: 'Authentication required', code: 'missing_token' });
    expect(response.headers['www-authenticate']).toBe('Bearer realm="keycard"');
  });
});
