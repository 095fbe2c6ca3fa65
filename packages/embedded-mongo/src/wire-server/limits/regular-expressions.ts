import { BSONRegExp } from 'bson';
import { isDocument } from '../bson-values';

/** The operators that run a pattern, whether it is written in the command or read from data. */
const patternOperators = new Set(['$regex', '$regexMatch', '$regexFind', '$regexFindAll']);

/**
 * Does the command carry a regular expression, as a value or through one of the operators
 * that take a pattern (those may read it from a stored field)? The documents an insert stores
 * are data, not queries, and are skipped. The walk uses a stack: a deeply nested command must
 * not overflow the call stack here.
 */
export function usesRegularExpression(command: Record<string, unknown>): boolean {
  const pending: unknown[] = Object.entries(command)
    .filter(([key]) => !(key === 'documents' && command.insert !== undefined))
    .map(([, value]) => value);
  while (pending.length > 0) {
    const value = pending.pop();
    if (value instanceof RegExp || value instanceof BSONRegExp) return true;
    if (Array.isArray(value)) {
      for (const item of value as unknown[]) pending.push(item);
    } else if (isDocument(value)) {
      for (const [key, field] of Object.entries(value)) {
        if (patternOperators.has(key)) return true;
        pending.push(field);
      }
    }
  }
  return false;
}
