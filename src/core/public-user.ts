import type { Types } from 'mongoose';
import type { User } from '../models/user';
import type { Role } from '../models/roles';

/** What a client may see of a user: an allowlist, so a new field stays private by default. */
export interface PublicUser {
  id: string;
  name: string;
  email: string;
  role: Role;
  /** True once the owner confirmed the address through a mailed link. */
  emailVerified: boolean;
  createdAt: string;
  updatedAt: string;
}

type ShownUser = Pick<User, 'name' | 'email' | 'role' | 'createdAt' | 'updatedAt'> & {
  _id: Types.ObjectId;
  /** Absent on accounts stored before the field existed: they read as unverified. */
  emailVerified?: boolean;
};

export function toPublicUser(user: ShownUser): PublicUser {
  return {
    id: user._id.toHexString(),
    name: user.name,
    email: user.email,
    role: user.role,
    emailVerified: user.emailVerified === true,
    createdAt: user.createdAt.toISOString(),
    updatedAt: user.updatedAt.toISOString(),
  };
}
