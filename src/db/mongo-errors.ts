/** MongoDB's duplicate-key error (a unique index refused a write), from the driver or Mongoose. */
export function isDuplicateKeyError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 11000;
}
