import { Types } from 'mongoose';

const OBJECT_ID = /^[0-9a-f]{24}$/i;

/**
 * The one way keycard reads an id from outside (a path segment, a token claim). Only 24 hex
 * digits: Mongoose's own check also accepts any 12-character string, which is never one of ours.
 */
export function parseObjectId(text: unknown): Types.ObjectId | undefined {
  return typeof text === 'string' && OBJECT_ID.test(text) ? new Types.ObjectId(text) : undefined;
}
