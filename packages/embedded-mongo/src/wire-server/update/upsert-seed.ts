import { cloneValue, isDocument, type BsonDocument } from '../bson-values';
import { overwriteAtPath } from '../field-path';

/** The document an upsert starts from: the filter's equality conditions, top level and in $and. */
export function seedFromFilter(filter: unknown): BsonDocument {
  const seed: BsonDocument = {};
  const visit = (clause: unknown) => {
    if (!isDocument(clause)) return;
    for (const [field, condition] of Object.entries(clause)) {
      if (field === '$and' && Array.isArray(condition)) {
        condition.forEach(visit);
        continue;
      }
      if (field.startsWith('$')) continue;
      if (condition instanceof RegExp) continue;
      if (isDocument(condition) && Object.keys(condition).some((key) => key.startsWith('$'))) {
        if ('$eq' in condition) overwriteAtPath(seed, field, cloneValue(condition.$eq));
        continue;
      }
      overwriteAtPath(seed, field, cloneValue(condition));
    }
  };
  visit(filter);
  return seed;
}
