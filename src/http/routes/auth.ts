import { Router, type Request, type RequestHandler } from 'express';
import { KeycardError, ValidationError } from '../../core/errors';
import type { AppContext } from '../../context';
import { sendSignedIn } from '../auth-response';
import { callerOf } from '../caller';
import { readBearerToken } from '../middleware/authenticate';
import { rateLimitByIp } from '../middleware/rate-limit';
import { parseInput } from '../parse-input';
import { loginBody, refreshBody, registerBody } from '../schemas/request-schemas';
import {
  assertAllowedOrigin,
  clearRefreshCookie,
  readRefreshCookie,
  wantsCookieTransport,
} from '../auth-cookies';

/** Signing up, logging in, refreshing and logging out: everything that hands out tokens. */
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
