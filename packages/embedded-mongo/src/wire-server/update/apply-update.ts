import { BSON } from 'bson';
import { bsonEquals, canonicalKey } from '../bson-order';
import {
  cloneValue,
  isDocument,
  promoteNumbers,
  setOwnField,
  withIdFirst,
  type BsonDocument,
} from '../bson-values';
import { formatKeyValue } from '../duplicate-key-error';
import { CommandError } from '../errors';
import { runPipeline } from '../query/run-pipeline';
import { applyOperatorUpdate, type ApplyOptions } from './operator-update';
import { immutableIdError } from './update-errors';
import { isOperatorUpdate, validateModifiers, type UpdateSpec } from './update-spec';

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
  return applyOperatorUpdate(original, spec, options);
}

/** Same BSON bytes: field order and numeric types count, as they do for mongod's nModified. */
export function sameDocument(left: BsonDocument, right: BsonDocument): boolean {
  return Buffer.from(BSON.serialize(left)).equals(Buffer.from(BSON.serialize(right)));
}
