import type { Types } from 'mongoose';
import { ADMIN_ROLE, type Role } from '../models/roles';
import type { UserModel, UserRecord } from '../models/user';
import type { Caller } from './audit';
import type { CoreDeps } from './deps';
import { KeycardError } from './errors';
import { escapeRegExp } from './escape-regexp';
import { toPublicUser, type PublicUser } from './public-user';
import { endAllSessions } from './sessions';

export interface UserListQuery {
  page: number;
  limit: number;
  role?: Role;
  q?: string;
}

export interface UserPage {
  users: PublicUser[];
  page: number;
  limit: number;
  total: number;
}

/** What an admin does to other accounts; `actorId` is the admin, for the audit log. */
export interface AdminService {
  list(query: UserListQuery): Promise<UserPage>;
  get(userId: Types.ObjectId): Promise<PublicUser>;
  changeRole(
    userId: Types.ObjectId,
    role: Role,
    actorId: Types.ObjectId,
    caller: Caller,
  ): Promise<PublicUser>;
  remove(userId: Types.ObjectId, actorId: Types.ObjectId, caller: Caller): Promise<void>;
  logoutEverywhere(userId: Types.ObjectId, actorId: Types.ObjectId, caller: Caller): Promise<void>;
}

// Long only as the sum of its methods, each a few lines, which share these dependencies.
export function createAdminService(deps: CoreDeps): AdminService {
  const { users } = deps;

  async function findOr404(userId: Types.ObjectId): Promise<UserRecord> {
    const user = await users.findById(userId).lean<UserRecord>();
    if (!user) throw new KeycardError('user_not_found');
    return user;
  }

  return {
    async list(query) {
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
          .limit(query.limit)
          .lean<UserRecord[]>(),
        users.countDocuments(filter),
      ]);
      return { users: found.map(toPublicUser), page: query.page, limit: query.limit, total };
    },

    async get(userId) {
      return toPublicUser(await findOr404(userId));
    },

    async changeRole(userId, role, actorId, caller) {
      const user = await findOr404(userId);
      if (user.role === role) return toPublicUser(user);
      if (user.role === ADMIN_ROLE) await demoteAdmin(users, user._id, role);
      else await users.updateOne({ _id: user._id }, { $set: { role } });
      await deps.revocations.userChanged(user._id);
      const changed = await findOr404(userId);
      caller.audit('role_change', {
        userId: userId.toHexString(),
        actorId: actorId.toHexString(),
        from: user.role,
        to: changed.role,
      });
      return toPublicUser(changed);
    },

    async remove(userId, actorId, caller) {
      const user = await findOr404(userId);
      if (user.role === ADMIN_ROLE) await demoteAdmin(users, user._id, 'user');
      await users.deleteOne({ _id: user._id });
      await deps.sessions.deleteMany({ userId: user._id });
      await deps.revocations.userChanged(user._id);
      caller.audit('user_deletion', {
        userId: userId.toHexString(),
        actorId: actorId.toHexString(),
      });
    },

    async logoutEverywhere(userId, actorId, caller) {
      const user = await findOr404(userId);
      await endAllSessions(deps, user._id);
      caller.audit('logout_all', { userId: userId.toHexString(), actorId: actorId.toHexString() });
    },
  };
}

/**
 * A standalone MongoDB has no transactions, so "is there another admin?" and the write cannot
 * be one step. Check first (the common refusal writes nothing), write, then check again: if two
 * admins were demoted at the same moment and none is left, undo ours and refuse.
 */
async function demoteAdmin(users: UserModel, adminId: Types.ObjectId, role: Role): Promise<void> {
  const others = await users.countDocuments({ role: ADMIN_ROLE, _id: { $ne: adminId } });
  if (others === 0) throw new KeycardError('last_admin');
  await users.updateOne({ _id: adminId, role: ADMIN_ROLE }, { $set: { role } });
  if ((await users.countDocuments({ role: ADMIN_ROLE })) === 0) {
    await users.updateOne({ _id: adminId }, { $set: { role: ADMIN_ROLE } });
    throw new KeycardError('last_admin');
  }
}
