import { Router } from 'express';
import type { AppContext } from '../../context';
import { ADMIN_ROLE } from '../../models/roles';
import { callerOf } from '../caller';
import { authenticate, authenticated } from '../middleware/authenticate';
import { authorize } from '../middleware/authorize';
import { objectIdParam } from '../object-id-param';
import { parseInput } from '../parse-input';
import { roleUpdateBody, userListQuery } from '../schemas/request-schemas';

export function createAdminRouter(context: AppContext): Router {
  const { admin } = context;
  const router = Router();
  router.use(authenticate(context.authenticate), authorize(ADMIN_ROLE));

  router.get('/users', async (req, res) => {
    res.json(await admin.list(parseInput(userListQuery, req.query)));
  });

  router.get('/users/:id', async (req, res) => {
    res.json({ user: await admin.get(objectIdParam(req, 'user_not_found')) });
  });

  router.patch('/users/:id', async (req, res) => {
    const { role } = parseInput(roleUpdateBody, req.body);
    const userId = objectIdParam(req, 'user_not_found');
    const actorId = authenticated(req).userId;
    res.json({ user: await admin.changeRole(userId, role, actorId, callerOf(req)) });
  });

  router.delete('/users/:id', async (req, res) => {
    const userId = objectIdParam(req, 'user_not_found');
    await admin.remove(userId, authenticated(req).userId, callerOf(req));
    res.status(204).end();
  });

  router.post('/users/:id/logout', async (req, res) => {
    const userId = objectIdParam(req, 'user_not_found');
    await admin.logoutEverywhere(userId, authenticated(req).userId, callerOf(req));
    res.status(204).end();
  });

  return router;
}
