import { join } from 'node:path';
import express, { Router } from 'express';
import { pageSecurityPolicy } from '../middleware/security-headers';

/** The demo's static files: an HTML page, a stylesheet and one ES module, with no build step. */
export const DEMO_FILES = join(__dirname, '..', 'pages', 'demo');

/** GET /demo: the browser demo, which talks only to the origin that served it. */
export function createDemoRouter(): Router {
  const router = Router();
  router.use('/demo', pageSecurityPolicy({ defaultSrc: ["'self'"] }));
  router.get(['/demo', '/demo/'], (_req, res) => {
    res.sendFile(join(DEMO_FILES, 'index.html'));
  });
  router.use('/demo', express.static(DEMO_FILES, { index: false, redirect: false }));
  return router;
}
