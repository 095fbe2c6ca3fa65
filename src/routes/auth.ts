import { Router, type Request, type RequestHandler, type Response } from 'express';
import { Types } from 'mongoose';
import { z } from 'zod';
import { loginSchema, registerSchema } from '../auth/credential-schemas';
import { issueTokens } from '../auth/issue-token';
import { loginUser } from '../auth/login-user';
import {
  assertAllowedOrigin,
  clearRefreshCookie,
  readRefreshCookie,
  setRefreshCookie,
  wantsCookieTransport,
} from '../auth/refresh-cookie';
import { registerUser } from '../auth/register-user';
import { throttledPasswordCheck } from '../auth/throttled-password-check';
import {
  findSessionByRefreshToken,
  listActiveSessions,
  revokeAllSessions,
  revokeSession,
  rotateRefreshToken,
  secondsLeft,
  startSession,
  type ClientInfo,
  type IssuedSession,
} from '../auth/sessions';
import { audit } from '../audit';
import type { AppContext } from '../context';
import { rateLimitByIp } from '../middleware/rate-limit';
import { HttpError, NotFoundError, ValidationError } from '../errors';
import { authenticate, missingToken, readBearerToken } from '../middleware/authenticate';
import type { UserDocument } from '../models/user';
import { parseInput } from '../validation';

const refreshBodySchema = z
  .object({ refreshToken: z.string({ error: 'must be a string' }).optional() })
  .optional();

const MAX_USER_AGENT_LENGTH = 512;

export function clientInfo(req: Request): ClientInfo {
  return {
    userAgent: (req.get('user-agent') ?? '').slice(0, MAX_USER_AGENT_LENGTH),
    ip: req.ip ?? '',
  };
}

export function createAuthRouter(context: AppContext): Router {
  const router = Router();
  const requireUser = authenticate(context);

  /** Sends the tokens, with the refresh token in a cookie instead of the body when asked. */
  function respondWithTokens(
    req: Request,
    res: Response,
    status: number,
    user: UserDocument,
    issued: IssuedSession,
    useCookie: boolean,
  ): void {
    if (useCookie) {
      setRefreshCookie(req, res, context.config, issued.refreshToken, secondsLeft(issued.session));
    }
    res
      .status(status)
      .json(issueTokens(context.tokens, user, issued, { refreshTokenInBody: !useCookie }));
  }

  const register: RequestHandler = async (req, res) => {
    const input = parseInput(registerSchema, req.body);
    const user = await registerUser(context, input);
    audit(req, 'register', { userId: user.id as string, email: user.email });
    let issued: IssuedSession;
    try {
      issued = await startSession(context, user._id, clientInfo(req));
    } catch (error) {
      // A failed request writes nothing: no account left behind without its first session.
      await context.users.deleteOne({ _id: user._id });
      throw error;
    }
    respondWithTokens(req, res, 201, user, issued, wantsCookieTransport(req));
  };
  const registerLimit = rateLimitByIp(context.limiters.registerPerIp);
  router.post('/register', registerLimit, register);
  router.post('/signup', registerLimit, register);

  router.post('/login', rateLimitByIp(context.limiters.loginPerIp), async (req, res) => {
    const input = parseInput(loginSchema, req.body);
    const user = await throttledPasswordCheck(context, req, res, input.email, () =>
      loginUser(context, input),
    );
    audit(req, 'login_success', { userId: user.id as string, email: user.email });
    const issued = await startSession(context, user._id, clientInfo(req));
    respondWithTokens(req, res, 200, user, issued, wantsCookieTransport(req));
  });

  /** The refresh token from the body, or else from the cookie (then only from allowed origins). */
  function presentedRefreshToken(req: Request): { token?: string; fromCookie: boolean } {
    const body = parseInput(refreshBodySchema, req.body);
    if (body?.refreshToken !== undefined) return { token: body.refreshToken, fromCookie: false };
    const cookie = readRefreshCookie(req);
    if (cookie === undefined) return { fromCookie: false };
    assertAllowedOrigin(req, context.config);
    return { token: cookie, fromCookie: true };
  }

  router.post('/refresh', rateLimitByIp(context.limiters.refreshPerIp), async (req, res) => {
    const { token, fromCookie } = presentedRefreshToken(req);
    if (token === undefined) {
      throw new ValidationError([{ path: 'refreshToken', message: 'is required' }]);
    }
    const issued = await rotateRefreshToken(context, token, clientInfo(req), {
      onReuse: (session) =>
        audit(req, 'refresh_reuse', {
          userId: session.userId.toHexString(),
          sessionId: session._id.toHexString(),
        }),
    });
    const user = await context.users.findById(issued.session.userId);
    if (!user) {
      await revokeSession(context, issued.session._id, issued.session.userId);
      throw new HttpError(401, 'user_not_found', 'User no longer exists');
    }
    respondWithTokens(req, res, 200, user, issued, fromCookie || wantsCookieTransport(req));
  });

  router.post('/logout', async (req, res) => {
    const accessToken = readBearerToken(req.get('authorization'));
    if (accessToken) {
      // Even an expired access token may end its own session: logging out grants nothing.
      const claims = context.tokens.verifyAccessToken(accessToken, { ignoreExpiration: true });
      if (Types.ObjectId.isValid(claims.sid) && Types.ObjectId.isValid(claims.sub)) {
        await revokeSession(
          context,
          new Types.ObjectId(claims.sid),
          new Types.ObjectId(claims.sub),
        );
        audit(req, 'logout', { userId: claims.sub, sessionId: claims.sid });
      }
    } else {
      const { token } = presentedRefreshToken(req);
      if (token === undefined) throw missingToken();
      const session = await findSessionByRefreshToken(context, token);
      if (session) {
        await revokeSession(context, session._id, session.userId);
        audit(req, 'logout', {
          userId: session.userId.toHexString(),
          sessionId: session._id.toHexString(),
        });
      }
    }
    clearRefreshCookie(req, res, context.config);
    res.status(204).end();
  });

  router.post('/logout-all', requireUser, async (req, res) => {
    const userId = (req.user as UserDocument)._id;
    await revokeAllSessions(context, userId);
    audit(req, 'logout_all', { userId: userId.toHexString() });
    clearRefreshCookie(req, res, context.config);
    res.status(204).end();
  });

  router.get('/sessions', requireUser, async (req, res) => {
    const sessions = await listActiveSessions(context, (req.user as UserDocument)._id);
    res.json({
      sessions: sessions.map((session) => ({
        id: session._id.toHexString(),
        createdAt: session.createdAt.toISOString(),
        lastUsedAt: session.lastUsedAt.toISOString(),
        userAgent: session.userAgent,
        ip: session.ip,
        current: session._id.toHexString() === req.auth?.sid,
      })),
    });
  });

  router.delete('/sessions/:id', requireUser, async (req, res) => {
    const id = req.params.id as string;
    const userId = (req.user as UserDocument)._id;
    // Another user's session answers exactly like one that does not exist.
    const owned =
      /^[0-9a-f]{24}$/i.test(id) &&
      (await context.sessions.exists({ _id: new Types.ObjectId(id), userId })) !== null;
    if (!owned) throw new NotFoundError('session_not_found', 'Session not found');
    await revokeSession(context, new Types.ObjectId(id), userId);
    audit(req, 'logout', { userId: userId.toHexString(), sessionId: id });
    res.status(204).end();
  });

  return router;
}
