import { isDocument, type BsonDocument } from '../bson-values';
import { CommandError } from '../errors';
import { isArrayIndex, splitFieldPath } from '../field-path';

/** An update document (operators or a replacement) or an aggregation pipeline. */
export type UpdateSpec = BsonDocument | BsonDocument[];

/** One modifier on one path, e.g. { modifier: '$inc', path: 'stats.logins', operand: 1 }. */
export interface FieldUpdate {
  modifier: string;
  path: string;
  operand: unknown;
}

const supportedModifiers = new Set([
  '$set',
  '$unset',
  '$inc',
  '$mul',
  '$min',
  '$max',
  '$rename',
  '$push',
  '$addToSet',
  '$pull',
  '$pullAll',
  '$pop',
  '$currentDate',
  '$bit',
  '$setOnInsert',
]);

export function parseUpdateSpec(raw: unknown): UpdateSpec {
  if (Array.isArray(raw)) {
    if (!raw.every(isDocument))
      throw new CommandError('FailedToParse', 'pipeline stages must be objects');
    return raw;
  }
  if (!isDocument(raw)) {
    throw new CommandError('FailedToParse', 'Update argument must be either an object or an array');
  }
  return raw;
}

export function isOperatorUpdate(spec: UpdateSpec): boolean {
  return !Array.isArray(spec) && Object.keys(spec).some((key) => key.startsWith('$'));
}

export function validateModifiers(spec: BsonDocument): void {
  for (const [modifier, operand] of Object.entries(spec)) {
    if (!modifier.startsWith('$')) {
      throw new CommandError(
        'FailedToParse',
        `Unknown modifier: ${modifier}. Expected a valid update modifier or pipeline-style update specified as an array`,
      );
    }
    if (!supportedModifiers.has(modifier)) {
      throw new CommandError(
        'FailedToParse',
        `Unknown modifier: ${modifier}. Expected a valid update modifier or pipeline-style update specified as an array`,
      );
    }
    if (!isDocument(operand)) {
      throw new CommandError(
        'FailedToParse',
        `Modifiers operate on fields but we found type ${Array.isArray(operand) ? 'array' : typeof operand} instead. For example: {$mod: {<field>: ...}} not {${modifier}: ${String(operand)}}`,
      );
    }
  }
}

/** mongod (5.0+) applies an update's fields in lexicographic order, numeric names numerically. */
function compareUpdatePaths(left: string, right: string): number {
  const leftParts = splitFieldPath(left);
  const rightParts = splitFieldPath(right);
  const length = Math.min(leftParts.length, rightParts.length);
  for (let index = 0; index < length; index++) {
    const a = leftParts[index] ?? '';
    const b = rightParts[index] ?? '';
    if (a === b) continue;
    if (isArrayIndex(a) && isArrayIndex(b)) return Number(a) - Number(b);
    return a < b ? -1 : 1;
  }
  return leftParts.length - rightParts.length;
}

function checkConflicts(updates: FieldUpdate[]): void {
  const targets: string[] = [];
  for (const update of updates) {
    targets.push(update.path);
    if (update.modifier === '$rename' && typeof update.operand === 'string')
      targets.push(update.operand);
  }
  const sorted = [...targets].sort();
  for (let index = 1; index < sorted.length; index++) {
    const previous = sorted[index - 1] ?? '';
    const current = sorted[index] ?? '';
    if (current === previous || current.startsWith(`${previous}.`)) {
      throw new CommandError(
        'ConflictingUpdateOperators',
        `Updating the path '${current}' would create a conflict at '${previous}'`,
      );
    }
  }
}

/**
 * The field updates of an operator update, in the order mongod applies them. $setOnInsert counts
 * (as $set) only when the update builds the document an upsert inserts.
 */
export function fieldUpdatesOf(spec: BsonDocument, inserting: boolean): FieldUpdate[] {
  const updates: FieldUpdate[] = [];
  for (const [modifier, operand] of Object.entries(spec)) {
    if (modifier === '$setOnInsert' && !inserting) continue;
    for (const [path, value] of Object.entries(operand as BsonDocument)) {
      updates.push({
        modifier: modifier === '$setOnInsert' ? '$set' : modifier,
        path,
        operand: value,
      });
    }
  }
  checkConflicts(updates);
  return updates.sort((left, right) => compareUpdatePaths(left.path, right.path));
}
