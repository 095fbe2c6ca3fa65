import { Schema, type Connection, type HydratedDocument, type Model } from 'mongoose';
import type { PasswordHasher } from '../auth/password-hasher';
import { DEFAULT_ROLE, ROLES, type Role } from '../roles';

export interface User {
  name: string;
  email: string;
  password: string;
  role: Role;
  createdAt: Date;
  updatedAt: Date;
}

export interface UserMethods {
  comparePassword(candidate: string): Promise<boolean>;
}

export type UserModel = Model<User, object, UserMethods>;
export type UserDocument = HydratedDocument<User, UserMethods>;

/** What a client may see of a user: an allowlist, so a new field stays private by default. */
export interface PublicUser {
  id: string;
  name: string;
  email: string;
  role: Role;
  createdAt: string;
  updatedAt: string;
}

export function toPublicUser(user: UserDocument): PublicUser {
  return {
    id: user.id as string,
    name: user.name,
    email: user.email,
    role: user.role,
    createdAt: user.createdAt.toISOString(),
    updatedAt: user.updatedAt.toISOString(),
  };
}

export function createUserModel(connection: Connection, hasher: PasswordHasher): UserModel {
  const schema = new Schema<User, UserModel, UserMethods>(
    {
      name: { type: String, required: true, trim: true, maxlength: 100 },
      email: {
        type: String,
        required: true,
        unique: true,
        lowercase: true,
        trim: true,
        maxlength: 254,
      },
      password: { type: String, required: true, select: false },
      role: { type: String, enum: ROLES, default: DEFAULT_ROLE, required: true },
    },
    { timestamps: true, strict: 'throw' },
  );

  schema.pre('save', async function hashPassword() {
    if (!this.isModified('password')) return;
    this.password = await hasher.hash(this.password);
  });

  schema.method('comparePassword', function comparePassword(this: UserDocument, candidate: string) {
    if (typeof this.password !== 'string') {
      throw new Error('comparePassword needs the password hash: query with .select("+password")');
    }
    return hasher.compare(candidate, this.password);
  });

  return connection.model<User, UserModel>('User', schema);
}
