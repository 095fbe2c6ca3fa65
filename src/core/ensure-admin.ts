import { isDuplicateKeyError } from '../db/mongo-errors';
import { ADMIN_ROLE } from '../models/roles';
import type { SessionModel } from '../models/session';
import type { UserModel } from '../models/user';
import type { Revocations } from './revocations';
import { revokeAllSessions } from './sessions';

/** The first admin, from ADMIN_EMAIL / ADMIN_PASSWORD or the create-admin command. */
export interface AdminSeed {
  email: string;
  password: string;
  name: string;
}

export type AdminOutcome = 'exists' | 'created' | 'promoted';

export interface AdminDeps {
  users: UserModel;
  sessions: SessionModel;
  revocations: Revocations;
}

/**
 * Makes `seed.email` an admin with `seed.password`. An existing account with that email is
 * promoted, given the seed's password and logged out everywhere: otherwise whoever registered
 * the address first (possibly not its owner) would hold admin rights through their sessions.
 */
export async function upsertAdmin(deps: AdminDeps, seed: AdminSeed): Promise<AdminOutcome> {
  const existing = await deps.users.findOne({ email: seed.email }).select('+password');
  if (existing) {
    existing.role = ADMIN_ROLE;
    existing.password = seed.password;
    // Whoever configures the first admin vouches for the address: no mail round trip.
    existing.emailVerified = true;
    // In the same write as the new password: a login that checked the old one is born dead.
    existing.$inc('credentialsVersion', 1);
    await existing.save();
    await revokeAllSessions(deps, existing._id);
    return 'promoted';
  }
  try {
    await deps.users.create({ ...seed, role: ADMIN_ROLE, emailVerified: true });
    return 'created';
  } catch (error) {
    // Another instance starting at the same moment created it first.
    if (isDuplicateKeyError(error)) return upsertAdmin(deps, seed);
    throw error;
  }
}

/** At start: create the configured admin, but only while no admin exists at all. */
export async function ensureFirstAdmin(deps: AdminDeps, seed: AdminSeed): Promise<AdminOutcome> {
  if (await deps.users.exists({ role: ADMIN_ROLE })) return 'exists';
  return upsertAdmin(deps, seed);
}
