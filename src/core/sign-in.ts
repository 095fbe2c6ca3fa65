import type { UserRecord } from '../models/user';
import { toPublicUser, type PublicUser } from './public-user';
import { secondsLeft, type IssuedSession } from './sessions';
import type { TokenService } from './tokens';

/** What a client receives when it signs in or refreshes: both tokens and the user. */
export interface SignedIn {
  accessToken: string;
  expiresIn: number;
  refreshToken: string;
  refreshExpiresIn: number;
  /** Proof that this client logged in to this email (see core/device-tokens.ts). */
  deviceToken?: string;
  user: PublicUser;
}

export function signIn(
  tokens: TokenService,
  user: UserRecord,
  issued: IssuedSession,
  deviceToken?: string,
): SignedIn {
  const { token, expiresIn } = tokens.signAccessToken({
    id: user._id.toHexString(),
    role: user.role,
    sessionId: issued.session._id.toHexString(),
  });
  return {
    accessToken: token,
    expiresIn,
    refreshToken: issued.refreshToken,
    refreshExpiresIn: secondsLeft(issued.session),
    ...(deviceToken === undefined ? {} : { deviceToken }),
    user: toPublicUser(user),
  };
}
