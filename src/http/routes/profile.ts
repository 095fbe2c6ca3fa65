import { Router } from 'express';
import { emailChangeSchema } from '../../core/credentials';
import { toPublicUser } from '../../core/public-user';
import type { AppContext } from '../../context';
import { callerOf } from '../caller';
import { authenticate, authenticated } from '../middleware/authenticate';
import { rateLimitByIp } from '../middleware/rate-limit';
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

  // 202: the address changes only once the link mailed to it is followed.
  router.put('/email', rateLimitByIp(context.limiters.mailPerIp), async (req, res) => {
    const change = parseInput(emailChangeSchema, req.body);
    const { userId, sessionId, user } = authenticated(req);
    await context.emailAddresses.requestChange(
      { userId, sessionId, email: user.email },
      change,
      callerOf(req),
    );
    res.status(202).json({ message: 'Follow the link mailed to the new address to confirm it' });
  });

  return router;
}
