import { update as applyOperators } from 'mingo/updater';
import { bsonEquals } from '../bson-order';
import {
  bsonTypeAlias,
  cloneValue,
  isDocument,
  isNumeric,
  promoteNumbers,
  withIdFirst,
  type BsonDocument,
} from '../bson-values';
import { formatKeyValue } from '../duplicate-key-error';
import { badValue, CommandError } from '../errors';
import { setAtPath, splitFieldPath, unsetAtPath, valueAtPath, valuesAtPath } from '../field-path';
import { LOGICAL_OPERATORS } from '../query/bson-query-operators';
import { compileFilter } from '../query/compile-filter';
import { mingoOptions } from '../query/mingo-context';
import { arithmetic, extremum } from './numeric-update';
import { concretePaths, resolvePositionalPaths } from './positional-paths';
import { immutableIdError, translateUpdateError } from './update-errors';
import { fieldUpdatesOf, type FieldUpdate } from './update-spec';

export interface ApplyOptions {
  filter: unknown;
  arrayFilters?: BsonDocument[];
  /** True when building the document an upsert inserts ($setOnInsert applies). */
  inserting: boolean;
}

/** $inc and $mul need a number to apply and a numeric field, or none, to apply it to. */
function checkArithmeticTargets(document: BsonDocument, updates: FieldUpdate[]): void {
  for (const { modifier, path, operand: amount } of updates) {
    if (modifier !== '$inc' && modifier !== '$mul') continue;
    if (!isNumeric(amount)) {
      throw new CommandError(
        'TypeMismatch',
        `Cannot ${modifier === '$inc' ? 'increment' : 'multiply'} with non-numeric argument: {${path}: ${formatKeyValue(amount)}}`,
      );
    }
    const [current] = valuesAtPath(document, splitFieldPath(path));
    if (current !== undefined && !isNumeric(current)) {
      throw new CommandError(
        'TypeMismatch',
        `Cannot apply ${modifier} to a value of non-numeric type. {_id: ${formatKeyValue(document._id)}} has the field '${path}' of non-numeric type ${bsonTypeAlias(current)}`,
      );
    }
  }
}

const computedModifiers = new Set(['$inc', '$mul', '$min', '$max']);

/** Option keywords inside $push/$addToSet/$pop/$bit operands that mingo needs as JS numbers. */
function promoteModifierOptions(modifier: string, operand: unknown): unknown {
  if (modifier === '$pop' || modifier === '$bit') return promoteNumbers(operand);
  if (
    (modifier === '$push' || modifier === '$addToSet') &&
    isDocument(operand) &&
    '$each' in operand
  ) {
    const options: BsonDocument = { ...operand };
    for (const keyword of ['$slice', '$position', '$sort']) {
      if (keyword in options) options[keyword] = promoteNumbers(options[keyword]);
    }
    return options;
  }
  return operand;
}

/**
 * Applies the updates of _id that mongod allows (setting it where there is none, or to the value
 * it already has, which mingo would refuse) and refuses the others; returns the updates left.
 */
function applyIdUpdates(document: BsonDocument, updates: FieldUpdate[]): FieldUpdate[] {
  for (const update of updates) {
    if (update.path === '_id' || update.path.startsWith('_id.')) {
      if (
        update.modifier === '$set' &&
        (document._id === undefined || bsonEquals(update.operand, document._id))
      ) {
        document._id = update.operand;
        continue;
      }
      if (document._id !== undefined) throw immutableIdError();
    }
  }
  return updates.filter((update) => !(update.path === '_id' && update.modifier === '$set'));
}

/** The arrays a $pull works on, one per concrete path; undefined where mingo must find them. */
function pullTargets(
  document: BsonDocument,
  path: string,
  arrayFilters: BsonDocument[] | undefined,
): { path: string; elements: unknown[] }[] | undefined {
  let paths: string[];
  try {
    paths = concretePaths(document, path, arrayFilters, undefined);
  } catch {
    return undefined;
  }
  return paths.flatMap((concrete) => {
    const elements = valueAtPath(document, concrete);
    // As in mongod: a missing field is left alone, any other value must be an array.
    if (elements === undefined) return [];
    if (!Array.isArray(elements)) throw badValue('Cannot apply $pull to a non-array value');
    return [{ path: concrete, elements }];
  });
}

/**
 * A $pull condition about fields (`{ inFlight: { id } }`, or $and/$or/$nor of such), as against
 * one about the values themselves (`{ $gte: 5 }`, a plain value).
 */
function isFieldCondition(operand: unknown): operand is BsonDocument {
  return (
    isDocument(operand) &&
    Object.keys(operand).every((key) => !key.startsWith('$') || LOGICAL_OPERATORS.has(key))
  );
}

/**
 * As in mongod (its ObjectMatcher), a condition about fields only ever matches elements that are
 * documents: mingo's $pull tests strings and numbers against it too, and reads any field of a
 * string as the string itself, so { id: 'x' } would pull the string 'x'.
 */
function pullDocuments(
  document: BsonDocument,
  targets: { path: string; elements: unknown[] }[],
  condition: BsonDocument,
): void {
  const matches = compileFilter(condition);
  for (const { path, elements } of targets) {
    const kept = elements.filter((element) => !(isDocument(element) && matches(element)));
    if (kept.length !== elements.length) setAtPath(document, path, kept);
  }
}

function applyModifier(
  document: BsonDocument,
  { modifier, path, operand }: FieldUpdate,
  arrayFilters: BsonDocument[] | undefined,
): void {
  // $set and $unset on plain paths (what Mongoose's save() sends) and $pull by fields are done
  // here: cheaper than a trip through mingo's updater, which rebuilds its operator tables on
  // every call.
  if (!path.includes('$')) {
    if (modifier === '$set') return setAtPath(document, path, operand);
    if (modifier === '$unset') return unsetAtPath(document, path);
  }
  if (modifier === '$pull') {
    const targets = pullTargets(document, path, arrayFilters);
    if (targets && isFieldCondition(operand)) return pullDocuments(document, targets, operand);
  }
  applyOperators(document, { [modifier]: { [path]: operand } }, arrayFilters, undefined, {
    cloneMode: 'copy',
    queryOptions: mingoOptions(),
  });
}

/** $inc, $mul, $min and $max, computed here: mingo only does arithmetic on JS numbers. */
function applyComputedModifier(
  document: BsonDocument,
  update: FieldUpdate,
  arrayFilters: BsonDocument[] | undefined,
): void {
  for (const path of concretePaths(document, update.path, arrayFilters, undefined)) {
    const current = valueAtPath(document, path);
    if (
      (update.modifier === '$inc' || update.modifier === '$mul') &&
      current !== undefined &&
      !isNumeric(current)
    ) {
      throw new CommandError(
        'TypeMismatch',
        `Cannot apply ${update.modifier} to a value of non-numeric type. {_id: ${formatKeyValue(document._id)}} has the field '${splitFieldPath(path).pop() ?? path}' of non-numeric type ${bsonTypeAlias(current)}`,
      );
    }
    const next =
      update.modifier === '$inc' || update.modifier === '$mul'
        ? arithmetic(update.modifier, current, update.operand)
        : extremum(update.modifier === '$min' ? '$min' : '$max', current, update.operand);
    if (next !== current)
      applyModifier(document, { modifier: '$set', path, operand: next }, arrayFilters);
  }
}

/** An update of $-modifiers ({ $set: ..., $inc: ... }), validated; returns the updated copy. */
export function applyOperatorUpdate(
  original: BsonDocument,
  spec: BsonDocument,
  options: ApplyOptions,
): BsonDocument {
  const document = cloneValue(original);
  const updates = applyIdUpdates(document, fieldUpdatesOf(spec, options.inserting));
  checkArithmeticTargets(document, updates);
  const arrayFilters = options.arrayFilters ? promoteNumbers(options.arrayFilters) : undefined;
  const condition = isDocument(options.filter) ? promoteNumbers(options.filter) : undefined;
  const resolved = resolvePositionalPaths(document, updates, {
    arrayFilters,
    condition,
    inserting: options.inserting,
  });
  try {
    for (const update of resolved) {
      if (computedModifiers.has(update.modifier)) {
        applyComputedModifier(document, update, arrayFilters);
      } else {
        const operand = promoteModifierOptions(update.modifier, update.operand);
        applyModifier(document, { ...update, operand }, arrayFilters);
      }
    }
  } catch (error) {
    throw translateUpdateError(error);
  }
  if (original._id !== undefined && !bsonEquals(document._id, original._id)) {
    throw immutableIdError();
  }
  return withIdFirst(document);
}
