import { ObjectId } from 'bson';
import { Query } from 'mingo/query';
import { isDocument, ownField, promoteNumbers, type BsonDocument } from '../bson-values';
import { badValue, CommandError } from '../errors';
import { equalityPredicate, LOGICAL_OPERATORS, type Predicate } from './bson-query-operators';
import { mingoOptions } from './mingo-context';
import { translateMingoError } from './mingo-errors';

function usesExpressions(filter: unknown): boolean {
  if (Array.isArray(filter)) return filter.some(usesExpressions);
  if (!isDocument(filter)) return false;
  return Object.entries(filter).some(
    ([key, value]) => key === '$expr' || key === '$where' || usesExpressions(value),
  );
}

/**
 * A filter that only asks fields to equal strings or ObjectIds (by _id, by email, by key: most
 * filters drivers send) gets the predicates mingo would build for it (its $eq is ours), without
 * a mingo Query: making one copies every operator table of the context.
 */
export function plainEqualities(filter: BsonDocument): Predicate | undefined {
  const predicates: Predicate[] = [];
  for (const [field, value] of Object.entries(filter)) {
    if (field.startsWith('$')) return undefined;
    if (typeof value !== 'string' && !(value instanceof ObjectId)) return undefined;
    predicates.push(equalityPredicate(field, value));
  }
  return (document) => predicates.every((matches) => matches(document));
}

/**
 * The first field name in `filter` that goes through "__proto__": at the top, in the filters of
 * $and/$or/$nor, and in the criteria of $elemMatch and $not. Values, embedded documents
 * compared for equality among them, are data and are left alone.
 */
function protoPath(filter: unknown): string | undefined {
  if (!isDocument(filter)) return undefined;
  for (const [key, value] of Object.entries(filter)) {
    let inside: string | undefined;
    if (!key.startsWith('$')) {
      inside = key.split('.').includes('__proto__') ? key : criteriaProtoPath(value);
    } else if (LOGICAL_OPERATORS.has(key) && Array.isArray(value)) {
      inside = value.map(protoPath).find(Boolean);
    }
    if (inside) return inside;
  }
  return undefined;
}

function criteriaProtoPath(condition: unknown): string | undefined {
  if (!isDocument(condition)) return undefined;
  const elemMatch = ownField(condition, '$elemMatch');
  return (
    protoPath(elemMatch) ??
    criteriaProtoPath(elemMatch) ??
    criteriaProtoPath(ownField(condition, '$not'))
  );
}

export function compileFilter(filter: unknown): Predicate {
  if (filter === undefined || filter === null) return () => true;
  if (!isDocument(filter)) throw new CommandError('TypeMismatch', 'filter must be an object');
  if (Object.keys(filter).length === 0) return () => true;
  // mingo reads paths with its own resolve, which refuses "__proto__" when a document is
  // tested (an InternalError) or, as a plain key, drops it and so matches every document: a
  // deleteMany would empty the collection. Refused here, before anything runs.
  const refused = protoPath(filter);
  if (refused) throw badValue(`Accessing __proto__ is not allowed in selector: '${refused}'.`);
  const equalities = plainEqualities(filter);
  if (equalities) return equalities;
  try {
    const query = new Query(promoteNumbers(filter), mingoOptions());
    // $expr evaluates mingo expressions, which need plain JS numbers in the document too.
    if (usesExpressions(filter)) return (document) => query.test(promoteNumbers(document));
    return (document) => query.test(document);
  } catch (error) {
    throw translateMingoError(error);
  }
}
