import { Query } from 'mingo/query';
import { isDocument, promoteNumbers } from '../bson-values';
import { CommandError } from '../errors';
import type { Predicate } from './bson-query-operators';
import { mingoOptions } from './mingo-context';
import { translateMingoError } from './mingo-errors';

function usesExpressions(filter: unknown): boolean {
  if (Array.isArray(filter)) return filter.some(usesExpressions);
  if (!isDocument(filter)) return false;
  return Object.entries(filter).some(
    ([key, value]) => key === '$expr' || key === '$where' || usesExpressions(value),
  );
}

export function compileFilter(filter: unknown): Predicate {
  if (filter === undefined || filter === null) return () => true;
  if (!isDocument(filter)) throw new CommandError('TypeMismatch', 'filter must be an object');
  if (Object.keys(filter).length === 0) return () => true;
  try {
    const query = new Query(promoteNumbers(filter), mingoOptions());
    // $expr evaluates mingo expressions, which need plain JS numbers in the document too.
    if (usesExpressions(filter)) return (document) => query.test(promoteNumbers(document));
    return (document) => query.test(document);
  } catch (error) {
    throw translateMingoError(error);
  }
}
