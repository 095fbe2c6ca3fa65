import { BSON } from 'bson';
import { update as applyOperators } from 'mingo/updater';
import { bsonEquals, canonicalKey } from './bson-order';
import {
  setOwnField,
  bsonTypeAlias,
  cloneValue,
  isDocument,
  isNumeric,
  promoteNumbers,
  type BsonDocument,
} from './bson-values';
import { arithmetic, extremum } from './numeric-update';
import { formatKeyValue } from './duplicate-key-error';
import { CommandError } from './errors';
import {
  isArrayIndex,
  overwriteAtPath,
  pathsHolding,
  setAtPath,
  splitFieldPath,
  unsetAtPath,
  valueAtPath,
  valuesAtPath,
} from './field-path';
import { mingoOptions } from './query/mingo-context';
import { runPipeline } from './query/run-pipeline';

export type UpdateSpec = BsonDocument | BsonDocument[];

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

function isOperatorUpdate(spec: UpdateSpec): boolean {
  return !Array.isArray(spec) && Object.keys(spec).some((key) => key.startsWith('$'));
}

function immutableIdError(): CommandError {
  return new CommandError(
    'ImmutableField',
    "Performing an update on the path '_id' would modify the immutable field '_id'",
  );
}

function validateModifiers(spec: BsonDocument): void {
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

function translateUpdateError(error: unknown): CommandError {
  if (error instanceof CommandError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (message.includes("immutable field '_id'")) return immutableIdError();
  const conflict = /updating the path '([^']+)' would create a conflict at '([^']+)'/i.exec(
    message,
  );
  if (conflict) {
    return new CommandError(
      'ConflictingUpdateOperators',
      `Updating the path '${conflict[1]}' would create a conflict at '${conflict[2]}'`,
    );
  }
  return new CommandError('BadValue', message);
}

/** Moves _id to the front, where mongod always keeps it. */
function withIdFirst(document: BsonDocument): BsonDocument {
  if (Object.keys(document)[0] === '_id' || !('_id' in document)) return document;
  const { _id, ...rest } = document;
  return { _id, ...rest };
}

/**
 * mingo evaluates pipelines on plain JS numbers; values a pipeline update left unchanged get
 * their original BSON types (int32, double, long) back.
 */
function restoreNumericTypes(original: unknown, result: unknown): unknown {
  if (isDocument(original) && isDocument(result)) {
    for (const key of Object.keys(result)) {
      if (Object.hasOwn(original, key)) {
        setOwnField(result, key, restoreNumericTypes(original[key], result[key]));
      }
    }
    return result;
  }
  if (Array.isArray(original) && Array.isArray(result) && original.length === result.length) {
    return result.map((item: unknown, index) => restoreNumericTypes(original[index], item));
  }
  return canonicalKey(promoteNumbers(original)) === canonicalKey(result) ? original : result;
}

export interface ApplyOptions {
  filter: unknown;
  arrayFilters?: BsonDocument[];
  /** True when building the document an upsert inserts ($setOnInsert applies). */
  inserting: boolean;
}

/** Returns the updated copy of `original`; the stored document is never mutated. */
export function applyUpdate(
  original: BsonDocument,
  spec: UpdateSpec,
  options: ApplyOptions,
): BsonDocument {
  if (Array.isArray(spec)) {
    const [result] = runPipeline([cloneValue(original)], spec);
    if (!result) throw new CommandError('BadValue', 'pipeline update removed the document');
    if (!bsonEquals(result._id, original._id)) throw immutableIdError();
    return withIdFirst(restoreNumericTypes(original, result) as BsonDocument);
  }
  if (!isOperatorUpdate(spec)) {
    if ('_id' in spec && original._id !== undefined && !bsonEquals(spec._id, original._id)) {
      throw new CommandError(
        'ImmutableField',
        `After applying the update, the (immutable) field '_id' was found to have been altered to _id: ${formatKeyValue(spec._id)}`,
      );
    }
    const { _id: _ignored, ...fields } = cloneValue(spec);
    return original._id === undefined ? fields : { _id: original._id, ...fields };
  }
  validateModifiers(spec);
  return applyModifiers(original, spec, options);
}

interface FieldUpdate {
  modifier: string;
  path: string;
  operand: unknown;
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

const marker = Symbol('update target');

/**
 * The concrete paths an update path designates, with `$`, `$[]` and `$[id]` resolved by mingo
 * (it sets a marker through the path on a copy; the marker's positions are the answer).
 */
function concretePaths(
  document: BsonDocument,
  path: string,
  arrayFilters: BsonDocument[] | undefined,
  condition: BsonDocument | undefined,
): string[] {
  if (!path.includes('$')) return [path];
  const probe = cloneValue(document);
  applyOperators(probe, { $set: { [path]: marker } }, arrayFilters, condition, {
    cloneMode: 'none',
    queryOptions: mingoOptions(),
  });
  return pathsHolding(probe, marker);
}

const positionalSegment = /(^|\.)\$(\.|$)/;

function applyModifiers(
  original: BsonDocument,
  spec: BsonDocument,
  options: ApplyOptions,
): BsonDocument {
  const updates: FieldUpdate[] = [];
  for (const [modifier, operand] of Object.entries(spec)) {
    if (modifier === '$setOnInsert' && !options.inserting) continue;
    for (const [path, value] of Object.entries(operand as BsonDocument)) {
      updates.push({
        modifier: modifier === '$setOnInsert' ? '$set' : modifier,
        path,
        operand: value,
      });
    }
  }
  checkConflicts(updates);
  updates.sort((left, right) => compareUpdatePaths(left.path, right.path));
  const document = cloneValue(original);
  for (const update of updates) {
    if (update.path === '_id' || update.path.startsWith('_id.')) {
      // $set of _id to the value it already has is allowed by mongod but refused by mingo.
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
  const remaining = updates.filter(
    (update) => !(update.path === '_id' && update.modifier === '$set'),
  );
  checkArithmeticTargets(document, remaining);
  const arrayFilters = options.arrayFilters ? promoteNumbers(options.arrayFilters) : undefined;
  // The filter resolves positional `$` paths, once, against the document as it matched; an
  // upsert's new document has nothing the positional operator could match.
  const condition = isDocument(options.filter) ? promoteNumbers(options.filter) : undefined;
  const resolved: FieldUpdate[] = [];
  for (const update of remaining) {
    if (!positionalSegment.test(update.path)) {
      resolved.push(update);
      continue;
    }
    let paths: string[] = [];
    try {
      if (!options.inserting) paths = concretePaths(document, update.path, arrayFilters, condition);
    } catch {
      // mingo refuses a `$` the filter does not pin; mongod reports that as the error below.
      paths = [];
    }
    if (paths.length === 0) {
      throw new CommandError(
        'BadValue',
        'The positional operator did not find the match needed from the query.',
      );
    }
    for (const path of paths) resolved.push({ ...update, path });
  }
  const apply = (modifier: string, path: string, operand: unknown) => {
    // $set and $unset on plain paths (what Mongoose's save() sends) are done here: cheaper than
    // a trip through mingo's updater, which rebuilds its operator tables on every call.
    if (!path.includes('$')) {
      if (modifier === '$set') return setAtPath(document, path, operand);
      if (modifier === '$unset') return unsetAtPath(document, path);
    }
    applyOperators(document, { [modifier]: { [path]: operand } }, arrayFilters, undefined, {
      cloneMode: 'copy',
      queryOptions: mingoOptions(),
    });
  };
  try {
    for (const update of resolved) {
      if (!computedModifiers.has(update.modifier)) {
        apply(
          update.modifier,
          update.path,
          promoteModifierOptions(update.modifier, update.operand),
        );
        continue;
      }
      // Computed here rather than by mingo, which only does arithmetic on JS numbers.
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
        if (next !== current) apply('$set', path, next);
      }
    }
  } catch (error) {
    throw translateUpdateError(error);
  }
  if (original._id !== undefined && !bsonEquals(document._id, original._id))
    throw immutableIdError();
  return withIdFirst(document);
}

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

export function sameDocument(left: BsonDocument, right: BsonDocument): boolean {
  return Buffer.from(BSON.serialize(left)).equals(Buffer.from(BSON.serialize(right)));
}
