import type { BsonDocument } from '../bson-values';
import type { Collection } from '../collection-store';
import { compileFilter } from '../query/compile-filter';
import { sortDocuments } from '../sort-documents';

/**
 * The documents of `collection` matching `filter`, in natural or `sort` order. Candidates come
 * from the _id map or a hash index when the filter allows it; the whole filter then decides.
 */
export function matchingDocuments(
  collection: Collection | undefined,
  filter: unknown,
  sort?: unknown,
): BsonDocument[] {
  if (!collection) return [];
  const predicate = compileFilter(filter);
  const candidates = collection.candidates(filter) ?? collection.all();
  const matched = candidates.filter(predicate);
  return sort === undefined ? matched : sortDocuments(matched, sort);
}
