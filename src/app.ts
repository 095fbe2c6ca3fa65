import express, { type Express } from 'express';
import type { AppContext } from './context';
import { createLifecycle, type Lifecycle } from './http/drain';
import { errorHandler, notFound } from './http/middleware/error-handler';
import { requestLogger } from './http/middleware/request-logger';
import { jsonBody } from './http/middleware/json-body';
import { corsPolicy, noStore, securityHeaders } from './http/middleware/security-headers';
import { createAdminRouter } from './http/routes/admin';
import { openApiDocument, endpointList } from './http/openapi/document';
import { createAuthRouter } from './http/routes/auth';
import { createDemoRouter } from './http/routes/demo';
import { createDocsRouter } from './http/routes/docs';
import { createProfileRouter } from './http/routes/profile';
import { createRootRouter } from './http/routes/root';
import { createSessionsRouter } from './http/routes/sessions';

const JSON_BODY_LIMIT = '100kb';

/** Pure wiring: no database connection and no listen(), so tests can call request(app). */
export function createApp(context: AppContext, options: { lifecycle?: Lifecycle } = {}): Express {
  const { config } = context;
  const lifecycle = options.lifecycle ?? createLifecycle();
  const app = express();
  app.disable('x-powered-by');
  // Every API answer is no-store, so an ETag would only cost a hash of each body.
  app.set('etag', false);
  // Without TRUST_PROXY, req.ip is the socket's address and X-Forwarded-For is ignored: a
  // client could otherwise pick any IP it likes and walk around every per-IP limit.
  app.set('trust proxy', config.trustProxy);

  app.use(requestLogger(context.logger));
  app.use(lifecycle.trackResponses);
  app.use(securityHeaders(config), corsPolicy(config));
  app.use(
    jsonBody(
      express.json({ limit: JSON_BODY_LIMIT, type: ['application/json', 'application/*+json'] }),
    ),
  );
  app.use('/api', noStore);

  // The API first: its requests, nearly all of them, then meet the fewest layers.
  app.use('/api/profile', createProfileRouter(context));
  app.use('/api/auth', createAuthRouter(context), createSessionsRouter(context));
  app.use('/api/admin', createAdminRouter(context));
  app.use(createRootRouter(context.connection, lifecycle, endpointList()));
  app.use(createDocsRouter(openApiDocument()));
  if (config.demoPage) app.use(createDemoRouter());

  app.use(notFound());
  app.use(errorHandler(context.logger));
  return app;
}
