import { parse as parseCookies } from 'cookie';
import type { Request, Response } from 'express';
import type { Config } from '../config/load-config';
import { DEVICE_TOKEN_TTL_SECONDS } from '../core/device-tokens';
import { KeycardError } from '../core/errors';

export const REFRESH_COOKIE = 'keycard_refresh';
/** A known device's proof (see core/device-tokens.ts); API clients send DEVICE_HEADER instead. */
export const DEVICE_COOKIE = 'keycard_device';
export const DEVICE_HEADER = 'X-Device-Token';
export const REFRESH_COOKIE_PATH = '/api/auth';
/** A browser client sends this header with value `cookie` to get the refresh token that way. */
export const TRANSPORT_HEADER = 'X-Refresh-Token-Transport';

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export function wantsCookieTransport(req: Request): boolean {
  return req.get(TRANSPORT_HEADER)?.trim().toLowerCase() === 'cookie';
}

function readCookie(req: Request, name: string): string | undefined {
  const header = req.get('cookie');
  return header ? parseCookies(header)[name] : undefined;
}

export function readRefreshCookie(req: Request): string | undefined {
  return readCookie(req, REFRESH_COOKIE);
}

/** The device token from the header, else from the cookie. */
export function readDeviceToken(req: Request): string | undefined {
  return req.get(DEVICE_HEADER)?.trim() || readCookie(req, DEVICE_COOKIE);
}

/**
 * A cookie is sent by the browser on its own, so a request it authenticates could have been
 * triggered by another site: only an allowed Origin may use it (SameSite is the first line,
 * this is the second, and it also covers browsers without SameSite). keycard's own origin is
 * allowed too, for its /demo and /docs pages: a browser never lets another site claim it.
 */
export function assertAllowedOrigin(req: Request, config: Pick<Config, 'corsOrigins'>): void {
  const origin = req.get('origin');
  if (!origin || !(config.corsOrigins.includes(origin) || origin === ownOriginOf(req))) {
    throw new KeycardError('csrf_rejected');
  }
}

/** The origin this request was addressed to, as the browser that sent it would write it. */
function ownOriginOf(req: Request): string | undefined {
  const host = req.get('host');
  return host ? `${req.protocol}://${host}` : undefined;
}

type CookieConfig = Pick<Config, 'nodeEnv' | 'refreshCookieSameSite'>;

function cookieOptions(req: Request, config: CookieConfig) {
  const sameSite = config.refreshCookieSameSite;
  // Plain http is tolerated only for local development; anywhere else the cookie must never
  // travel unencrypted. SameSite=None without Secure is refused by browsers, so it always
  // has Secure (Chromium accepts a Secure cookie from http://localhost and 127.0.0.1).
  const insecureAllowed =
    sameSite !== 'none' && config.nodeEnv !== 'production' && LOCAL_HOSTS.has(req.hostname);
  return {
    httpOnly: true,
    secure: !insecureAllowed,
    sameSite,
    path: REFRESH_COOKIE_PATH,
  };
}

export function setRefreshCookie(
  req: Request,
  res: Response,
  config: CookieConfig,
  token: string,
  secondsLeft: number,
): void {
  res.cookie(REFRESH_COOKIE, token, { ...cookieOptions(req, config), maxAge: secondsLeft * 1000 });
}

export function setDeviceCookie(
  req: Request,
  res: Response,
  config: CookieConfig,
  token: string,
): void {
  res.cookie(DEVICE_COOKIE, token, {
    ...cookieOptions(req, config),
    maxAge: DEVICE_TOKEN_TTL_SECONDS * 1000,
  });
}

export function clearRefreshCookie(req: Request, res: Response, config: CookieConfig): void {
  res.clearCookie(REFRESH_COOKIE, cookieOptions(req, config));
}
