import { Router } from 'express';
import { z } from 'zod';
import { nameSchema } from '../auth/credential-schemas';
import type { AppContext } from '../context';
import { authenticate } from '../middleware/authenticate';
import { toPublicUser, type UserDocument } from '../models/user';
import { parseInput } from '../validation';

const profileUpdateSchema = z.object({ name: nameSchema });

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

  return router;
}
