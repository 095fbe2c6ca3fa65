import { Router } from 'express';
import type { Connection } from 'mongoose';
import { KeycardError } from '../../core/errors';
import type { Lifecycle } from '../drain';

const PING_TIMEOUT_MS = 2000;

/** GET / and GET /health. `endpoints` is the OpenAPI document's list of operations. */
export function createRootRouter(
  connection: Connection,
  lifecycle: Lifecycle,
  endpoints: readonly string[],
): Router {
  const router = Router();

  router.get('/', (_req, res) => {
    res.json({
      name: 'keycard',
      description: 'JWT authentication API',
      endpoints,
      documentation: '/openapi.json',
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
