import { Router, type Request, type RequestHandler } from 'express';
import {
  forgotPasswordSchema,
  resetPasswordSchema,
  verifyEmailSchema,
} from '../../core/credentials';
import { KeycardError, ValidationError } from '../../core/errors';
import type { AppContext } from '../../context';
import { sendSignedIn } from '../auth-response';
import { callerOf } from '../caller';
import { authenticate, authenticated, readBearerToken } from '../middleware/authenticate';
import { rateLimitByIp } from '../middleware/rate-limit';
import { parseInput } from '../parse-input';
import { loginBody, refreshBody, registerBody } from '../schemas/request-schemas';
import {
  assertAllowedOrigin,
  clearRefreshCookie,
  readRefreshCookie,
  wantsCookieTransport,
} from '../auth-cookies';

export const FORGOT_MESSAGE =
  'If an account exists for this address, a link to reset its password is on its way';

// Long only as a list of thin routes, each a few lines.
/**
 * Signing up, logging in, refreshing and logging out (everything that hands out tokens), and
 * the links mailed to recover an account or confirm its address.
 */
export function createAuthRouter(context: AppContext): Router {
  const { config, limiters } = context;
  const router = Router();

  /** The refresh token from the body, or else from the cookie (then only from allowed origins). */
  function presentedRefreshToken(req: Request): { token?: string; fromCookie: boolean } {
    const body = parseInput(refreshBody, req.body);
    if (body?.refreshToken !== undefined) return { token: body.refreshToken, fromCookie: false };
    const cookie = readRefreshCookie(req);
    if (cookie === undefined) return { fromCookie: false };
    assertAllowedOrigin(req, config);
    return { token: cookie, fromCookie: true };
  }

  const register: RequestHandler = async (req, res) => {
    const input = parseInput(registerBody, req.body);
    const signedIn = await context.accounts.register(input, callerOf(req));
    sendSignedIn(req, res, config, signedIn, { status: 201, useCookie: wantsCookieTransport(req) });
  };
  const registerLimit = rateLimitByIp(limiters.registerPerIp);
  router.post('/register', registerLimit, register);
  router.post('/signup', registerLimit, register);

  router.post('/login', rateLimitByIp(limiters.loginPerIp), async (req, res) => {
    const input = parseInput(loginBody, req.body);
    const signedIn = await context.accounts.login(input, callerOf(req));
    sendSignedIn(req, res, config, signedIn, { status: 200, useCookie: wantsCookieTransport(req) });
  });

  router.post('/refresh', rateLimitByIp(limiters.refreshPerIp), async (req, res) => {
    const { token, fromCookie } = presentedRefreshToken(req);
    if (token === undefined) {
      throw new ValidationError([{ path: 'refreshToken', message: 'is required' }]);
    }
    const signedIn = await context.sessions.refresh(token, callerOf(req));
    const useCookie = fromCookie || wantsCookieTransport(req);
    sendSignedIn(req, res, config, signedIn, { status: 200, useCookie });
  });

  // The same 202 and body whether or not the address has an account.
  router.post('/password/forgot', rateLimitByIp(limiters.mailPerIp), async (req, res) => {
    const { email } = parseInput(forgotPasswordSchema, req.body);
    await context.recovery.forgotPassword(email, callerOf(req));
    res.status(202).json({ message: FORGOT_MESSAGE });
  });

  router.post('/password/reset', async (req, res) => {
    const reset = parseInput(resetPasswordSchema, req.body);
    await context.recovery.resetPassword(reset, callerOf(req));
    res.status(204).end();
  });

  router.post('/verify-email', async (req, res) => {
    const { token } = parseInput(verifyEmailSchema, req.body);
    res.json({ user: await context.emailAddresses.verify(token, callerOf(req)) });
  });

  router.post(
    '/verify-email/resend',
    authenticate(context.authenticate),
    rateLimitByIp(limiters.mailPerIp),
    async (req, res) => {
      await context.emailAddresses.resendVerification(authenticated(req).userId, callerOf(req));
      res.status(202).json({ message: 'A new confirmation link is on its way' });
    },
  );

  router.post('/logout', async (req, res) => {
    const accessToken = readBearerToken(req.get('authorization'));
    const refreshToken = accessToken ? undefined : presentedRefreshToken(req).token;
    if (accessToken) await context.sessions.logout({ accessToken }, callerOf(req));
    else if (refreshToken) await context.sessions.logout({ refreshToken }, callerOf(req));
    else throw new KeycardError('missing_token');
    clearRefreshCookie(req, res, config);
    res.status(204).end();
  });

  return router;
}
