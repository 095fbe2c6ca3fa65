import { Router } from 'express';
import { z } from 'zod';
import { wholeNumberText } from '../../core/whole-number';
import type { AppContext } from '../../context';
import { ADMIN_ROLE, ROLES } from '../../models/roles';
import { callerOf } from '../caller';
import { authenticate, authenticated } from '../middleware/authenticate';
import { authorize } from '../middleware/authorize';
import { objectIdParam } from '../object-id-param';
import { parseInput } from '../parse-input';

const wholeNumber = (min: number, max: number, fallback: number) =>
  wholeNumberText(min, max).optional().default(fallback);

const listQuerySchema = z.object({
  page: wholeNumber(1, 1_000_000, 1),
  limit: wholeNumber(1, 100, 20),
  role: z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` }).optional(),
  q: z
    .string({ error: 'must be a single value' })
    .trim()
    .max(100)
    // The driver refuses a NUL in a string, and no name or email holds a control character.
    .regex(/^[^\p{Cc}]*$/u, 'must not contain control characters')
    .optional(),
});

const roleUpdateSchema = z.object({
  role: z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` }),
});

export function createAdminRouter(context: AppContext): Router {
  const { admin } = context;
  const router = Router();
  router.use(authenticate(context.authenticate), authorize(ADMIN_ROLE));

  router.get('/users', async (req, res) => {
    res.json(await admin.list(parseInput(listQuerySchema, req.query)));
  });

  router.get('/users/:id', async (req, res) => {
    res.json({ user: await admin.get(objectIdParam(req, 'user_not_found')) });
  });

  router.patch('/users/:id', async (req, res) => {
    const { role } = parseInput(roleUpdateSchema, req.body);
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
