import { Router } from 'express';
import { toPublicUser } from '../../core/public-user';
import type { AppContext } from '../../context';
import { callerOf } from '../caller';
import { authenticate, authenticated } from '../middleware/authenticate';
import { parseInput } from '../parse-input';
import { passwordChangeBody, profileUpdateBody } from '../schemas/request-schemas';

export function createProfileRouter(context: AppContext): Router {
  const router = Router();
  router.use(authenticate(context.authenticate));

  router.get('/', (req, res) => {
    res.json({ user: toPublicUser(authenticated(req).user) });
  });

  router.patch('/', async (req, res) => {
    const { name } = parseInput(profileUpdateBody, req.body);
    res.json({ user: await context.accounts.rename(authenticated(req).userId, name) });
  });

  router.put('/password', async (req, res) => {
    const change = parseInput(passwordChangeBody, req.body);
    const { userId, sessionId, user } = authenticated(req);
    await context.accounts.changePassword(
      { userId, sessionId, email: user.email },
      change,
      callerOf(req),
    );
    res.status(204).end();
  });

  return router;
}
