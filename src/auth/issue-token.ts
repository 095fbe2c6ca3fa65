import { toPublicUser, type PublicUser, type UserDocument } from '../models/user';
import { secondsLeft, type IssuedSession } from './sessions';
import type { TokenService } from './tokens';

export interface AuthResponse {
  token: string;
  tokenType: 'Bearer';
  expiresIn: number;
  /** Left out when the client asked for the refresh token in a cookie. */
  refreshToken?: string;
  refreshExpiresIn: number;
  user: PublicUser;
}

export function issueTokens(
  tokens: TokenService,
  user: UserDocument,
  issued: IssuedSession,
  options: { refreshTokenInBody: boolean },
): AuthResponse {
  const { token, expiresIn } = tokens.signAccessToken({
    id: user.id as string,
    role: user.role,
    sessionId: issued.session._id.toHexString(),
  });
  return {
    token,
    tokenType: 'Bearer',
    expiresIn,
    ...(options.refreshTokenInBody ? { refreshToken: issued.refreshToken } : {}),
    refreshExpiresIn: secondsLeft(issued.session),
    user: toPublicUser(user),
  };
}
