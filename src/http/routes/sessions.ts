import { Router } from 'express';
import type { AppContext } from '../../context';
import { callerOf } from '../caller';
import { authenticate, authenticated } from '../middleware/authenticate';
import { objectIdParam } from '../object-id-param';
import { clearRefreshCookie } from '../auth-cookies';

/** A signed-in user's own sessions: list them, end one, end them all. */
export function createSessionsRouter(context: AppContext): Router {
  const router = Router();
  const requireUser = authenticate(context.authenticate);

  router.post('/logout-all', requireUser, async (req, res) => {
    await context.sessions.logoutAll(authenticated(req).userId, callerOf(req));
    clearRefreshCookie(req, res, context.config);
    res.status(204).end();
  });

  router.get('/sessions', requireUser, async (req, res) => {
    const { userId, sessionId } = authenticated(req);
    res.json({ sessions: await context.sessions.list(userId, sessionId) });
  });

  router.delete('/sessions/:id', requireUser, async (req, res) => {
    const sessionId = objectIdParam(req, 'session_not_found');
    await context.sessions.revokeOwn(authenticated(req).userId, sessionId, callerOf(req));
    res.status(204).end();
  });

  return router;
}
