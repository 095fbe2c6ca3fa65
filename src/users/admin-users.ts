import { isValidObjectId } from 'mongoose';
import { HttpError, NotFoundError } from '../errors';
import type { SessionModel } from '../models/session';
import type { UserDocument, UserModel } from '../models/user';
import { ADMIN_ROLE, type Role } from '../roles';

export interface UserListQuery {
  page: number;
  limit: number;
  role?: Role;
  q?: string;
}

export async function listUsers(
  users: UserModel,
  query: UserListQuery,
): Promise<{ users: UserDocument[]; total: number }> {
  const filter: Record<string, unknown> = {};
  if (query.role) filter.role = query.role;
  if (query.q) {
    // Escaped, so the search text is always literal: never a regex a client could use to
    // probe or to make the database backtrack.
    const pattern = new RegExp(escapeRegExp(query.q), 'i');
    filter.$or = [{ name: pattern }, { email: pattern }];
  }
  const [found, total] = await Promise.all([
    users
      .find(filter)
      .sort({ createdAt: 1, _id: 1 })
      .skip((query.page - 1) * query.limit)
      .limit(query.limit),
    users.countDocuments(filter),
  ]);
  return { users: found, total };
}

export async function findUserOr404(users: UserModel, id: string): Promise<UserDocument> {
  const user = isValidObjectId(id) && /^[0-9a-f]{24}$/i.test(id) ? await users.findById(id) : null;
  if (!user) throw new NotFoundError('user_not_found', 'User not found');
  return user;
}

/** Returns the user as stored after the change, and the role they had before it. */
export async function changeRole(
  users: UserModel,
  id: string,
  role: Role,
): Promise<{ user: UserDocument; previousRole: Role }> {
  const user = await findUserOr404(users, id);
  const previousRole = user.role;
  if (previousRole === role) return { user, previousRole };
  if (previousRole === ADMIN_ROLE) await demoteAdmin(users, user, role);
  else await users.updateOne({ _id: user._id }, { $set: { role } });
  return { user: await findUserOr404(users, id), previousRole };
}

export async function deleteUser(
  deps: { users: UserModel; sessions: SessionModel },
  id: string,
): Promise<void> {
  const user = await findUserOr404(deps.users, id);
  if (user.role === ADMIN_ROLE) await demoteAdmin(deps.users, user, 'user');
  await deps.users.deleteOne({ _id: user._id });
  await deps.sessions.deleteMany({ userId: user._id });
}

/**
 * A standalone MongoDB has no transactions, so "is there another admin?" and the write cannot
 * be one step. Check first (the common refusal writes nothing), write, then check again: if two
 * admins were demoted at the same moment and none is left, undo ours and refuse.
 */
async function demoteAdmin(users: UserModel, admin: UserDocument, role: Role): Promise<void> {
  const others = await users.countDocuments({ role: ADMIN_ROLE, _id: { $ne: admin._id } });
  if (others === 0) throw lastAdmin();
  await users.updateOne({ _id: admin._id, role: ADMIN_ROLE }, { $set: { role } });
  if ((await users.countDocuments({ role: ADMIN_ROLE })) === 0) {
    await users.updateOne({ _id: admin._id }, { $set: { role: ADMIN_ROLE } });
    throw lastAdmin();
  }
}

function lastAdmin(): HttpError {
  return new HttpError(409, 'last_admin', 'The last admin can be neither demoted nor deleted');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
