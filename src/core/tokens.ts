import { createHash, createSecretKey, randomUUID, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { KeycardError } from './errors';
import { isRole, type Role } from '../models/roles';

export interface AccessTokenClaims {
  sub: string;
  /** The session this token belongs to: revoking the session kills the token at once. */
  sid: string;
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
  signAccessToken(subject: { id: string; role: Role; sessionId: string }): SignedToken;
  /**
   * Throws a KeycardError `token_expired` or `invalid_token`. `ignoreExpiration` is for
   * logout only, where a genuine but expired token may still end its own session.
   */
  verifyAccessToken(token: string, options?: { ignoreExpiration?: boolean }): AccessTokenClaims;
}

export interface TokenSettings {
  /** Signs new tokens. */
  secret: string;
  /** Retired secrets whose tokens still verify until they are removed from the list. */
  previousSecrets?: readonly string[];
  issuer: string;
  audience: string;
  accessTokenTtlSeconds: number;
}

const ALGORITHM = 'HS256';
const MAX_CLOCK_TOLERANCE_SECONDS = 30;
// Enough for every token in use on a busy instance; a bound on memory (about 1 KB each), since
// any account holder can mint tokens by logging in and refreshing.
const MAX_VERIFIED_TOKENS = 10_000;

/**
 * How far past `exp` a token still verifies, for instances whose clocks differ a little: 30 s,
 * or a tenth of the token's lifetime when that is less, so that a short-lived token (a 2 s
 * ACCESS_TOKEN_TTL in a test) really is short-lived.
 */
export function clockToleranceFor(accessTokenTtlSeconds: number): number {
  return Math.min(MAX_CLOCK_TOLERANCE_SECONDS, Math.floor(accessTokenTtlSeconds / 10));
}
// RFC 9068: the type of a JWT access token, so that no other token keycard may sign later
// (password reset, email verification) can ever be replayed as one.
export const ACCESS_TOKEN_TYPE = 'at+jwt';
const ACCEPTED_TYPES = new Set([ACCESS_TOKEN_TYPE, `application/${ACCESS_TOKEN_TYPE}`]);

/** A public, stable name for a secret: a truncated hash, from which the secret cannot be had. */
export function keyIdOf(secret: string): string {
  return createHash('sha256').update(`keycard-kid:${secret}`).digest('base64url').slice(0, 16);
}

export function createTokenService(settings: TokenSettings): TokenService {
  // jsonwebtoken handed a string secret first tries to parse it as a PEM key on every call
  // (auth0/node-jsonwebtoken#966), which costs far more than the HMAC itself.
  const toKey = (secret: string): KeyObject => createSecretKey(Buffer.from(secret, 'utf8'));
  const signingKeyId = keyIdOf(settings.secret);
  const clockTolerance = clockToleranceFor(settings.accessTokenTtlSeconds);
  const signingKey = toKey(settings.secret);
  // The only keys a token can ever be checked with: the header's kid picks one of these and
  // nothing else (a jku, jwk or x5u header is never looked at).
  const verificationKeys = new Map<string, KeyObject>([[signingKeyId, signingKey]]);
  for (const previous of settings.previousSecrets ?? []) {
    verificationKeys.set(keyIdOf(previous), toKey(previous));
  }
  // A token that verified once verifies again, byte for byte, for as long as these keys are the
  // keys: only its expiry still depends on the clock. Parsing and the HMAC are then done once
  // per token instead of once per request.
  const verifiedTokens = new Map<string, AccessTokenClaims>();

  function verifyWithLibrary(token: string, ignoreExpiration: boolean): AccessTokenClaims {
    const decoded = jwt.decode(token, { complete: true });
    const header = decoded?.header;
    const key = typeof header?.kid === 'string' ? verificationKeys.get(header.kid) : undefined;
    if (!key || typeof header?.typ !== 'string' || !ACCEPTED_TYPES.has(header.typ.toLowerCase())) {
      throw new KeycardError('invalid_token');
    }
    let payload: string | jwt.JwtPayload;
    try {
      payload = jwt.verify(token, key, {
        // Pinned: the token's own header must never choose how it is checked ("none", or an
        // algorithm the key was not meant for).
        algorithms: [ALGORITHM],
        issuer: settings.issuer,
        audience: settings.audience,
        clockTolerance: clockTolerance,
        ignoreExpiration,
      });
    } catch (error) {
      if (error instanceof jwt.TokenExpiredError) {
        throw new KeycardError('token_expired');
      }
      throw new KeycardError('invalid_token');
    }
    return readClaims(payload);
  }

  function remember(token: string, claims: AccessTokenClaims): void {
    if (verifiedTokens.size >= MAX_VERIFIED_TOKENS) {
      verifiedTokens.delete(verifiedTokens.keys().next().value as string);
    }
    // Shared by every request that carries the token: nobody may change it.
    verifiedTokens.set(token, Object.freeze(claims));
  }

  return {
    signAccessToken(subject) {
      const token = jwt.sign({ role: subject.role, sid: subject.sessionId }, signingKey, {
        algorithm: ALGORITHM,
        header: { alg: ALGORITHM, typ: ACCESS_TOKEN_TYPE, kid: signingKeyId },
        subject: subject.id,
        issuer: settings.issuer,
        audience: settings.audience,
        expiresIn: settings.accessTokenTtlSeconds,
        jwtid: randomUUID(),
      });
      return { token, expiresIn: settings.accessTokenTtlSeconds };
    },

    verifyAccessToken(token, options = {}) {
      const ignoreExpiration = options.ignoreExpiration === true;
      const known = verifiedTokens.get(token);
      if (!known) {
        const claims = verifyWithLibrary(token, ignoreExpiration);
        remember(token, claims);
        return claims;
      }
      // The same test as jsonwebtoken's, so a cached token expires at the very same second.
      if (!ignoreExpiration && Math.floor(Date.now() / 1000) >= known.exp + clockTolerance) {
        verifiedTokens.delete(token);
        throw new KeycardError('token_expired');
      }
      return known;
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
    typeof payload.sid !== 'string' ||
    typeof payload.jti !== 'string' ||
    typeof payload.iss !== 'string' ||
    typeof payload.aud !== 'string' ||
    !isRole(payload.role)
  ) {
    throw new KeycardError('invalid_token');
  }
  return {
    sub: payload.sub,
    sid: payload.sid,
    role: payload.role,
    jti: payload.jti,
    iat: payload.iat,
    exp: payload.exp,
    iss: payload.iss,
    aud: payload.aud,
  };
}
