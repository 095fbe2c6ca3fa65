import { CommandError } from '../errors';

/**
 * mongod's 100 MB per value: internalQueryMaxRangeBytes, internalQueryMaxPushBytes and
 * internalQueryMaxAddToSetBytes all default to it, and so does the per-stage memory limit.
 */
export const valueMemoryLimitBytes = 100 * 1024 * 1024;

/** mongod's approximate size of one value in an array: a 16-byte Value, plus what it points to. */
export const approximateValueBytes = 16;
/** And of the array (std::vector) holding them. */
export const approximateArrayBytes = 24;

/**
 * Refuses, before it is built, a value that would take more than the limit, in the words
 * mongod uses for $range: "$range would use too much memory (N bytes) and cannot spill to
 * disk. Memory limit: 104857600 bytes" (ExceededMemoryLimit, 146).
 */
export function refuseOversizedValue(operator: string, bytes: number): void {
  if (bytes < valueMemoryLimitBytes) return;
  throw new CommandError(
    'ExceededMemoryLimit',
    `${operator} would use too much memory (${bytes} bytes) and cannot spill to disk. Memory limit: ${valueMemoryLimitBytes} bytes`,
  );
}

/** mongod's words when an accumulator such as $push outgrows the limit. */
export function accumulatorTooLarge(operator: string): CommandError {
  return new CommandError(
    'ExceededMemoryLimit',
    `${operator} used too much memory and cannot spill to disk. Memory limit: ${valueMemoryLimitBytes} bytes`,
  );
}
