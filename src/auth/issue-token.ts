import { toPublicUser, type PublicUser, type UserDocument } from '../models/user';
import type { TokenService } from './tokens';

export interface AuthResponse {
  token: string;
  tokenType: 'Bearer';
  expiresIn: number;
  user: PublicUser;
}

export function issueToken(tokens: TokenService, user: UserDocument): AuthResponse {
  const { token, expiresIn } = tokens.signAccessToken({ id: user.id as string, role: user.role });
  return { token, tokenType: 'Bearer', expiresIn, user: toPublicUser(user) };
}
