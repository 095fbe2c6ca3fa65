import { Router, type RequestHandler } from 'express';
import { loginSchema, registerSchema } from '../auth/credential-schemas';
import { issueToken } from '../auth/issue-token';
import { loginUser } from '../auth/login-user';
import { registerUser } from '../auth/register-user';
import type { AppContext } from '../context';
import { parseInput } from '../validation';

export function createAuthRouter(context: AppContext): Router {
  const router = Router();

  const register: RequestHandler = async (req, res) => {
    const input = parseInput(registerSchema, req.body);
    const user = await registerUser(context, input);
    res.status(201).json(issueToken(context.tokens, user));
  };
  router.post('/register', register);
  router.post('/signup', register);

  router.post('/login', async (req, res) => {
    const input = parseInput(loginSchema, req.body);
    const user = await loginUser(context, input);
    res.json(issueToken(context.tokens, user));
  });

  return router;
}
