import { $addToSet, $push } from 'mingo/operators/accumulator';
import type { Options } from 'mingo/types';
import { checkpoint } from '../limits/command-limits';
import { bsonSizeUpTo } from '../limits/document-size';
import {
  accumulatorTooLarge,
  approximateArrayBytes,
  approximateValueBytes,
  valueMemoryLimitBytes,
} from '../limits/value-memory';

// Every operator mingo runs, and every document a stage emits, passes a checkpoint: that is
// where a command that has run too long or grown the heap too far is stopped. $push and
// $addToSet also keep mongod's 100 MB limit on what they collect.

type Accumulator = (collection: unknown[], expression: unknown, options: Options) => unknown;
type AnyOperator = (...args: never[]) => unknown;

interface LazyIterator {
  map(transform: (item: unknown) => unknown): LazyIterator;
}
type Stage = (collection: LazyIterator, expression: unknown, options: Options) => LazyIterator;

function approximateBytes(values: unknown[]): number {
  let bytes = approximateArrayBytes;
  for (const value of values) {
    bytes += approximateValueBytes + bsonSizeUpTo({ v: value }, valueMemoryLimitBytes);
    if (bytes >= valueMemoryLimitBytes) break;
  }
  return bytes;
}

const mingoPush = $push as unknown as Accumulator;
const mingoAddToSet = $addToSet as unknown as Accumulator;

/** $push, one document at a time so the limit is met before the memory is spent. */
const push: Accumulator = (collection, expression, options) => {
  if (expression === null || expression === undefined) {
    return mingoPush(collection, expression, options);
  }
  const values: unknown[] = [];
  let bytes = approximateArrayBytes;
  for (const document of collection) {
    const [value] = mingoPush([document], expression, options) as unknown[];
    bytes += approximateValueBytes + bsonSizeUpTo({ v: value }, valueMemoryLimitBytes);
    if (bytes >= valueMemoryLimitBytes) throw accumulatorTooLarge('$push');
    values.push(value);
    checkpoint();
  }
  return values;
};

/** $addToSet keeps one of each value, so only what it returns is measured. */
const addToSet: Accumulator = (collection, expression, options) => {
  const values = mingoAddToSet(collection, expression, options);
  if (Array.isArray(values) && approximateBytes(values) >= valueMemoryLimitBytes) {
    throw accumulatorTooLarge('$addToSet');
  }
  return values;
};

export const limitedAccumulators = { $push: push, $addToSet: addToSet };

/** Each operator of the set, preceded by a checkpoint. */
export function checkpointEach<T extends object>(operators: T): T {
  const wrapped: Record<string, AnyOperator> = {};
  for (const [name, operator] of Object.entries(operators)) {
    if (typeof operator !== 'function') continue;
    const run = operator as AnyOperator;
    wrapped[name] = (...args: never[]) => {
      checkpoint();
      return run(...args);
    };
  }
  return wrapped as T;
}

/** Each stage of the set, with a checkpoint before it starts and after every document it emits. */
export function checkpointEachStage<T extends object>(stages: T): T {
  const wrapped: Record<string, Stage> = {};
  for (const [name, stage] of Object.entries(stages)) {
    if (typeof stage !== 'function') continue;
    const run = stage as Stage;
    wrapped[name] = (collection, expression, options) => {
      checkpoint();
      return run(collection, expression, options).map((document) => {
        checkpoint();
        return document;
      });
    };
  }
  return wrapped as T;
}
