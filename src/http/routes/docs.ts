import { join } from 'node:path';
import { Router } from 'express';
import swaggerUi from 'swagger-ui-express';
import type { OpenApiDocument } from '../openapi/document';
import { pageSecurityPolicy } from '../middleware/security-headers';

const DOCS_PAGE = join(__dirname, '..', 'pages', 'docs', 'index.html');

// The files of swagger-ui-dist the page loads, and no others: the package also ships a demo
// index.html and initializer that point at an online petstore.
const SWAGGER_FILES = new Set([
  '/swagger-ui.css',
  '/index.css',
  '/swagger-ui-bundle.js',
  '/swagger-ui-standalone-preset.js',
  '/swagger-ui-init.js',
  '/favicon-32x32.png',
]);

/** GET /openapi.json, and Swagger UI at /docs, served from node_modules. */
export function createDocsRouter(document: OpenApiDocument): Router {
  const router = Router();

  router.get('/openapi.json', (_req, res) => {
    res.json(document);
  });

  const [initScript, assets] = swaggerUi.serveFiles(undefined, {
    swaggerUrl: '/openapi.json',
    swaggerOptions: {
      url: '/openapi.json',
      // The default sends the document to an online validator and shows its badge.
      validatorUrl: null,
      // "Try it out" on the refresh and logout routes needs the cookie sent along.
      withCredentials: true,
      // The standalone layout's top bar draws its logo with an inline <style>, which the CSP
      // refuses; the base layout has no top bar, and the page needs no URL box.
      layout: 'BaseLayout',
    },
  });
  const docs = Router();
  docs.use(
    pageSecurityPolicy({
      defaultSrc: ["'none'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      // swagger-ui.css draws its icons as data: SVGs.
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
    }),
  );
  docs.get('/', (_req, res) => {
    res.sendFile(DOCS_PAGE);
  });
  docs.use((req, _res, next) => {
    next(SWAGGER_FILES.has(req.path) ? undefined : 'router');
  });
  docs.use(initScript as NonNullable<typeof initScript>, assets as NonNullable<typeof assets>);
  router.use('/docs', docs);
  return router;
}
