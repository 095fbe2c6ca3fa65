import { Router } from 'express';
import { z } from 'zod';
import { revokeAllSessions } from '../auth/sessions';
import { audit } from '../audit';
import type { AppContext } from '../context';
import { authenticate } from '../middleware/authenticate';
import { authorize } from '../middleware/authorize';
import { toPublicUser } from '../models/user';
import { ADMIN_ROLE, ROLES } from '../roles';
import { changeRole, deleteUser, findUserOr404, listUsers } from '../users/admin-users';
import { parseInput, wholeNumberText } from '../validation';

const wholeNumber = (min: number, max: number, fallback: number) =>
  wholeNumberText(min, max).optional().default(fallback);

const listQuerySchema = z.object({
  page: wholeNumber(1, 1_000_000, 1),
  limit: wholeNumber(1, 100, 20),
  role: z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` }).optional(),
  q: z.string({ error: 'must be a single value' }).trim().max(100).optional(),
});

const roleUpdateSchema = z.object({
  role: z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` }),
});

export function createAdminRouter(context: AppContext): Router {
  const router = Router();
  router.use(authenticate(context), authorize(ADMIN_ROLE));

  router.get('/users', async (req, res) => {
    const query = parseInput(listQuerySchema, req.query);
    const { users, total } = await listUsers(context.users, query);
    res.json({ users: users.map(toPublicUser), page: query.page, limit: query.limit, total });
  });

  router.get('/users/:id', async (req, res) => {
    const user = await findUserOr404(context.users, req.params.id);
    res.json({ user: toPublicUser(user) });
  });

  router.patch('/users/:id', async (req, res) => {
    const { role } = parseInput(roleUpdateSchema, req.body);
    const { user, previousRole } = await changeRole(context.users, req.params.id, role);
    if (previousRole !== user.role) {
      audit(req, 'role_change', {
        userId: user.id as string,
        actorId: req.user?.id as string,
        from: previousRole,
        to: user.role,
      });
    }
    res.json({ user: toPublicUser(user) });
  });

  router.delete('/users/:id', async (req, res) => {
    await deleteUser(context, req.params.id);
    audit(req, 'user_deletion', { userId: req.params.id, actorId: req.user?.id as string });
    res.status(204).end();
  });

  router.post('/users/:id/logout', async (req, res) => {
    const user = await findUserOr404(context.users, req.params.id);
    await revokeAllSessions(context, user._id);
    audit(req, 'logout_all', { userId: user.id as string, actorId: req.user?.id as string });
    res.status(204).end();
  });

  return router;
}
