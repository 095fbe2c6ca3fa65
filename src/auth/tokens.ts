import { createSecretKey, randomUUID, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { HttpError } from '../errors';
import { isRole, type Role } from '../roles';

export interface AccessTokenClaims {
  sub: string;
  role: Role;
  jti: string;
  iat: number;
  exp: number;
  iss: string;
  aud: string;
}

export interface SignedToken {
  token: string;
  expiresIn: number;
}

export interface TokenService {
  signAccessToken(subject: { id: string; role: Role }): SignedToken;
  /** Throws an HttpError 401 `token_expired` or `invalid_token`. */
  verifyAccessToken(token: string): AccessTokenClaims;
}

export interface TokenSettings {
  secret: string;
  issuer: string;
  audience: string;
  accessTokenTtlSeconds: number;
}

const ALGORITHM = 'HS256';
const CLOCK_TOLERANCE_SECONDS = 30;

export function createTokenService(settings: TokenSettings): TokenService {
  // jsonwebtoken handed a string secret first tries to parse it as a PEM key on every call
  // (auth0/node-jsonwebtoken#966), which costs far more than the HMAC itself.
  const key: KeyObject = createSecretKey(Buffer.from(settings.secret, 'utf8'));

  return {
    signAccessToken(subject) {
      const token = jwt.sign({ role: subject.role }, key, {
        algorithm: ALGORITHM,
        subject: subject.id,
        issuer: settings.issuer,
        audience: settings.audience,
        expiresIn: settings.accessTokenTtlSeconds,
        jwtid: randomUUID(),
      });
      return { token, expiresIn: settings.accessTokenTtlSeconds };
    },

    verifyAccessToken(token) {
      let payload: string | jwt.JwtPayload;
      try {
        payload = jwt.verify(token, key, {
          // Pinned: the token's own header must never choose how it is checked ("none", or an
          // algorithm the key was not meant for).
          algorithms: [ALGORITHM],
          issuer: settings.issuer,
          audience: settings.audience,
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
        });
      } catch (error) {
        if (error instanceof jwt.TokenExpiredError) {
          throw invalidToken('token_expired', 'Token expired');
        }
        throw invalidToken('invalid_token', 'Invalid token');
      }
      return readClaims(payload);
    },
  };
}

function readClaims(payload: string | jwt.JwtPayload): AccessTokenClaims {
  // jsonwebtoken accepts a token without exp: such a token would never die.
  if (
    typeof payload === 'string' ||
    typeof payload.exp !== 'number' ||
    typeof payload.iat !== 'number' ||
    typeof payload.sub !== 'string' ||
    typeof payload.jti !== 'string' ||
    typeof payload.iss !== 'string' ||
    typeof payload.aud !== 'string' ||
    !isRole(payload.role)
  ) {
    throw invalidToken('invalid_token', 'Invalid token');
  }
  return {
    sub: payload.sub,
    role: payload.role,
    jti: payload.jti,
    iat: payload.iat,
    exp: payload.exp,
    iss: payload.iss,
    aud: payload.aud,
  };
}

export function invalidToken(code: string, message: string): HttpError {
  return new HttpError(401, code, message, undefined, {
    'WWW-Authenticate': `Bearer realm="keycard", error="invalid_token", error_description="${message}"`,
  });
}
