import { Router } from 'express';
import { Types } from 'mongoose';
import { z } from 'zod';
import { nameSchema, passwordSchema } from '../auth/credential-schemas';
import { invalidCredentials } from '../auth/login-user';
import { revokeAllSessions } from '../auth/sessions';
import { throttledPasswordCheck } from '../auth/throttled-password-check';
import { audit } from '../audit';
import type { AppContext } from '../context';
import { authenticate } from '../middleware/authenticate';
import { toPublicUser, type UserDocument } from '../models/user';
import { parseInput } from '../validation';

const profileUpdateSchema = z.object({ name: nameSchema });

const passwordChangeSchema = z.object({
  currentPassword: z.string({ error: 'must be a string' }).min(1, 'must not be empty'),
  newPassword: passwordSchema,
});

export function createProfileRouter(context: AppContext): Router {
  const router = Router();
  router.use(authenticate(context));

  router.get('/', (req, res) => {
    res.json({ user: toPublicUser(req.user as UserDocument) });
  });

  router.patch('/', async (req, res) => {
    const { name } = parseInput(profileUpdateSchema, req.body);
    const user = req.user as UserDocument;
    user.name = name;
    await user.save();
    res.json({ user: toPublicUser(user) });
  });

  router.put('/password', async (req, res) => {
    const input = parseInput(passwordChangeSchema, req.body);
    const current = req.user as UserDocument;
    // A stolen access token must not become unlimited guesses at the current password.
    const user = await throttledPasswordCheck(context, req, res, current.email, async () => {
      const found = await context.users.findById(current._id).select('+password');
      if (!found || !(await found.comparePassword(input.currentPassword))) {
        throw invalidCredentials();
      }
      return found;
    });
    user.password = input.newPassword;
    await user.save();
    // Whoever else holds a session may be the reason for the change: end every other one,
    // keep the one that proved it knows the current password.
    await revokeAllSessions(context, user._id, {
      except: new Types.ObjectId(req.auth?.sid as string),
    });
    audit(req, 'password_change', { userId: user.id as string });
    res.status(204).end();
  });

  return router;
}
