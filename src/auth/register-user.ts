import type { z } from 'zod';
import { HttpError } from '../errors';
import { isDuplicateKeyError } from '../db/mongo-errors';
import type { UserDocument, UserModel } from '../models/user';
import type { registerSchema } from './credential-schemas';

export type RegisterInput = z.output<typeof registerSchema>;

export async function registerUser(
  deps: { users: UserModel },
  input: RegisterInput,
): Promise<UserDocument> {
  try {
    // Only the three validated fields reach the model: role, _id and the rest are never
    // taken from the request, so every account starts with the default role.
    return await deps.users.create({
      name: input.name,
      email: input.email,
      password: input.password,
    });
  } catch (error) {
    // The unique index decides, so two simultaneous sign-ups with one address cannot both win.
    if (isDuplicateKeyError(error)) {
      throw new HttpError(409, 'email_taken', 'An account with this email already exists');
    }
    throw error;
  }
}
