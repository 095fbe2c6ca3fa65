import type { AdminSeed } from '../config';
import { isDuplicateKeyError } from '../db/mongo-errors';
import type { UserModel } from '../models/user';
import { ADMIN_ROLE } from '../roles';

export type AdminOutcome = 'exists' | 'created' | 'promoted';

/**
 * Makes `seed.email` an admin with `seed.password`. An existing account with that email is
 * promoted AND given the seed's password: otherwise whoever registered the address first
 * (possibly not its owner) would end up holding admin rights.
 */
export async function upsertAdmin(users: UserModel, seed: AdminSeed): Promise<AdminOutcome> {
  const existing = await users.findOne({ email: seed.email }).select('+password');
  if (existing) {
    existing.role = ADMIN_ROLE;
    existing.password = seed.password;
    await existing.save();
    return 'promoted';
  }
  try {
    await users.create({ ...seed, role: ADMIN_ROLE });
    return 'created';
  } catch (error) {
    // Another instance starting at the same moment created it first.
    if (isDuplicateKeyError(error)) return upsertAdmin(users, seed);
    throw error;
  }
}

/** At start: create the configured admin, but only while no admin exists at all. */
export async function ensureFirstAdmin(users: UserModel, seed: AdminSeed): Promise<AdminOutcome> {
  if (await users.exists({ role: ADMIN_ROLE })) return 'exists';
  return upsertAdmin(users, seed);
}
