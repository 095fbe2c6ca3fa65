import { Schema, type Connection, type HydratedDocument, type Model, type Types } from 'mongoose';
import { nameProblem } from './names';
import { DEFAULT_ROLE, ROLES, type Role } from './roles';

export interface User {
  name: string;
  email: string;
  password: string;
  role: Role;
  /**
   * Raised by every change that must end existing sessions (a new password, logging out
   * everywhere). A session carries the version it was created under and dies when it is behind.
   */
  credentialsVersion: number;
  /** True once the owner followed a link mailed to this address (or reset the password). */
  emailVerified: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** A user as a plain object (a lean read), without the password hash. */
export type UserRecord = Omit<User, 'password'> & { _id: Types.ObjectId };

export interface UserMethods {
  comparePassword(candidate: string): Promise<boolean>;
}

export type UserModel = Model<User, object, UserMethods>;
export type UserDocument = HydratedDocument<User, UserMethods>;

/** What the model needs of a password hasher; the worker pool in core/ is one. */
export interface PasswordHashing {
  hash(password: string): Promise<string>;
  compare(password: string, hash: string): Promise<boolean>;
}

export function createUserModel(connection: Connection, hasher: PasswordHashing): UserModel {
  const schema = new Schema<User, UserModel, UserMethods>(
    {
      name: {
        type: String,
        required: true,
        trim: true,
        validate: {
          validator: (name: string) => nameProblem(name) === undefined,
          message: 'is not a valid name',
        },
      },
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
      credentialsVersion: { type: Number, default: 0, min: 0 },
      emailVerified: { type: Boolean, default: false },
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
