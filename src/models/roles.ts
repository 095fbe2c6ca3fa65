// The one place roles are defined: a fork adds its own here and the model, the validation of
// PATCH /api/admin/users/:id and authorize() all follow.
export const ROLES = ['user', 'admin'] as const;

export type Role = (typeof ROLES)[number];

export const DEFAULT_ROLE: Role = 'user';
export const ADMIN_ROLE: Role = 'admin';

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
