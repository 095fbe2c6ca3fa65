import type { Request, Response } from 'express';
import type { Config } from '../config/load-config';
import type { PublicUser } from '../core/public-user';
import type { SignedIn } from '../core/sign-in';
import { setDeviceCookie, setRefreshCookie } from './auth-cookies';

export interface AuthResponse {
  token: string;
  tokenType: 'Bearer';
  expiresIn: number;
  /** Left out when the client asked for the refresh token in a cookie. */
  refreshToken?: string;
  refreshExpiresIn: number;
  /** Sent back in X-Device-Token at the next login, it marks this client as a known device. */
  deviceToken?: string;
  user: PublicUser;
}

/** Sends the tokens, with the refresh token in a cookie instead of the body when asked. */
export function sendSignedIn(
  req: Request,
  res: Response,
  config: Pick<Config, 'nodeEnv'>,
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
