import type { Request } from 'express';
import type { Types } from 'mongoose';
import { KeycardError, type ErrorCode } from '../core/errors';
import { parseObjectId } from '../core/object-id';

/**
 * The `:id` of a route as an ObjectId. A malformed id answers exactly like an unknown one
 * (`notFound`), so ids cannot be probed by their shape.
 */
export function objectIdParam(req: Request, notFound: ErrorCode): Types.ObjectId {
  const id = parseObjectId(req.params.id);
  if (!id) throw new KeycardError(notFound);
  return id;
}
