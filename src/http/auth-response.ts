import type { Request, Response } from 'express';
import type { Config } from '../config/load-config';
import type { z } from 'zod';
import type { SignedIn } from '../core/sign-in';
import { setDeviceCookie, setRefreshCookie } from './auth-cookies';
import type { authResponseSchema } from './schemas/response-schemas';

/** The body of every sign-in, as the OpenAPI document describes it. */
export type AuthResponse = z.output<typeof authResponseSchema>;

/** Sends the tokens, with the refresh token in a cookie instead of the body when asked. */
export function sendSignedIn(
  req: Request,
  res: Response,
  config: Pick<Config, 'nodeEnv' | 'refreshCookieSameSite'>,
  signedIn: SignedIn,
  options: { status: number; useCookie: boolean },
): void {
  if (options.useCookie) {
    setRefreshCookie(req, res, config, signedIn.refreshToken, signedIn.refreshExpiresIn);
  }
  if (signedIn.deviceToken !== undefined) setDeviceCookie(req, res, config, signedIn.deviceToken);
  const body: AuthResponse = {
    token: signedIn.accessToken,
    tokenType: 'Bearer',
    expiresIn: signedIn.expiresIn,
    ...(options.useCookie ? {} : { refreshToken: signedIn.refreshToken }),
    refreshExpiresIn: signedIn.refreshExpiresIn,
    ...(signedIn.deviceToken === undefined ? {} : { deviceToken: signedIn.deviceToken }),
    user: signedIn.user,
  };
  res.status(options.status).json(body);
}
