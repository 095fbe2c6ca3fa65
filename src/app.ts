import express, { type Express } from 'express';
import type { AppContext } from './context';
import { errorHandler, notFound } from './middleware/error-handler';
import { requireJsonBody } from './middleware/require-json';
import { createAdminRouter } from './routes/admin';
import { createAuthRouter } from './routes/auth';
import { createProfileRouter } from './routes/profile';
import { createRootRouter } from './routes/root';

const JSON_BODY_LIMIT = '100kb';

/** Pure wiring: no database connection and no listen(), so tests can call request(app). */
export function createApp(context: AppContext): Express {
  const app = express();
  app.disable('x-powered-by');

  app.use(requireJsonBody());
  app.use(express.json({ limit: JSON_BODY_LIMIT }));
  app.use('/api', (_req, res, next) => {
    // Tokens and user data must never be kept by a browser or proxy cache.
    res.set('Cache-Control', 'no-store');
    next();
  });

  app.use(createRootRouter(context.connection));
  app.use('/api/auth', createAuthRouter(context));
  app.use('/api/profile', createProfileRouter(context));
  app.use('/api/admin', createAdminRouter(context));

  app.use(notFound());
  app.use(errorHandler(context.logger));
  return app;
}
