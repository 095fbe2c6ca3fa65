import { Router } from 'express';
import type { Connection } from 'mongoose';
import { KeycardError } from '../../core/errors';
import type { Lifecycle } from '../drain';

const PING_TIMEOUT_MS = 2000;

export function createRootRouter(connection: Connection, lifecycle: Lifecycle): Router {
  const router = Router();

  router.get('/', (_req, res) => {
    res.json({
      name: 'keycard',
      description: 'JWT authentication API',
      endpoints: [
        'POST /api/auth/register',
        'POST /api/auth/signup',
        'POST /api/auth/login',
        'POST /api/auth/refresh',
        'POST /api/auth/logout',
        'POST /api/auth/logout-all',
        'GET /api/auth/sessions',
        'DELETE /api/auth/sessions/:id',
        'GET /api/profile',
        'PATCH /api/profile',
        'PUT /api/profile/password',
        'GET /api/admin/users',
        'GET /api/admin/users/:id',
        'PATCH /api/admin/users/:id',
        'DELETE /api/admin/users/:id',
        'POST /api/admin/users/:id/logout',
        'GET /health',
      ],
    });
  });

  router.get('/health', async (_req, res) => {
    // A load balancer that still holds a connection learns to send no more requests here.
    if (lifecycle.draining) {
      res.status(503).json({ status: 'draining' });
      return;
    }
    if (!(await databaseAnswers(connection))) {
      throw new KeycardError('database_unavailable');
    }
    res.json({ status: 'ok' });
  });

  return router;
}

async function databaseAnswers(connection: Connection): Promise<boolean> {
  const db = connection.db;
  if (!db || connection.readyState !== 1) return false;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), PING_TIMEOUT_MS);
  });
  const ping = db
    .admin()
    .ping()
    .then(() => true)
    .catch(() => false);
  try {
    return await Promise.race([ping, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
