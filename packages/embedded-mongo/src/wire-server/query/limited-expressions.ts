import { evalExpr } from 'mingo/core';
import {
  $concat,
  $concatArrays,
  $filter,
  $map,
  $range,
  $reduce,
  $replaceAll,
  $split,
  $zip,
} from 'mingo/operators/expression';
import type { Options } from 'mingo/types';
import { isDocument } from '../bson-values';
import { CommandError } from '../errors';
import { checkpoint } from '../limits/command-limits';
import {
  approximateArrayBytes,
  approximateValueBytes,
  refuseOversizedValue,
} from '../limits/value-memory';

// The expressions whose result can be far larger than their arguments. Each works out the size
// of what it would build and refuses, as mongod refuses $range, before building it; the ones
// that loop over an array pass a checkpoint (the command's time and heap) as they go. The
// arguments are evaluated once here and handed to mingo's own operator as literals, so mingo
// still does the work and reports its own type errors.

type ExpressionOperator = (document: unknown, expression: unknown, options: Options) => unknown;

const literal = (value: unknown) => ({ $literal: value });

function arrayBytes(length: number): number {
  return approximateArrayBytes + length * approximateValueBytes;
}

function occurrences(text: string, part: string): number {
  if (part.length === 0) return text.length;
  let count = 0;
  for (let at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + part.length)) count++;
  return count;
}

const mingo = {
  $concat,
  $concatArrays,
  $filter,
  $map,
  $range,
  $reduce,
  $replaceAll,
  $split,
  $zip,
} as unknown as Record<string, ExpressionOperator>;

function callMingo(name: string, document: unknown, expression: unknown, options: Options) {
  const operator = mingo[name];
  if (!operator) throw new Error(`no mingo operator ${name}`);
  return operator(document, expression, options);
}

const isInteger = (value: unknown): value is number => Number.isInteger(value);

const range: ExpressionOperator = (document, expression, options) => {
  if (!Array.isArray(expression)) return callMingo('$range', document, expression, options);
  const args = evalExpr(document, expression, options) as unknown[];
  const [start, end, step = 1] = args;
  if (isInteger(start) && isInteger(end) && isInteger(step)) {
    // mongod's estimate: (end - start) / step steps, each a 16-byte Value.
    const steps = step === 0 ? 0 : Math.trunc((end - start) / step);
    refuseOversizedValue('$range', arrayBytes(steps >= 0 ? steps + 1 : 0));
  }
  return callMingo('$range', document, args.map(literal), options);
};

const concat: ExpressionOperator = (document, expression, options) => {
  if (!Array.isArray(expression)) return callMingo('$concat', document, expression, options);
  const args = evalExpr(document, expression, options) as unknown[];
  const length = args.reduce<number>(
    (sum, arg) => sum + (typeof arg === 'string' ? arg.length : 0),
    0,
  );
  refuseOversizedValue('$concat', length);
  return callMingo('$concat', document, args.map(literal), options);
};

const concatArrays: ExpressionOperator = (document, expression, options) => {
  const args: unknown = evalExpr(document, expression, options);
  if (Array.isArray(args)) {
    const length = args.reduce<number>(
      (sum, arg) => sum + (Array.isArray(arg) ? arg.length : 0),
      0,
    );
    refuseOversizedValue('$concatArrays', arrayBytes(length));
  }
  return callMingo('$concatArrays', document, literal(args), options);
};

const replaceAll: ExpressionOperator = (document, expression, options) => {
  if (!isDocument(expression)) return callMingo('$replaceAll', document, expression, options);
  const { input, find, replacement } = evalExpr(document, expression, options) as Record<
    string,
    unknown
  >;
  if (typeof input === 'string' && typeof find === 'string' && typeof replacement === 'string') {
    // mingo splits on `find` and joins with `replacement`; an empty `find` splits every character.
    const gaps = find.length === 0 ? Math.max(0, input.length - 1) : occurrences(input, find);
    refuseOversizedValue('$replaceAll', input.length + gaps * (replacement.length - find.length));
  }
  const args = { input: literal(input), find: literal(find), replacement: literal(replacement) };
  return callMingo('$replaceAll', document, args, options);
};

const split: ExpressionOperator = (document, expression, options) => {
  if (!Array.isArray(expression)) return callMingo('$split', document, expression, options);
  const args = evalExpr(document, expression, options) as unknown[];
  const [text, separator] = args;
  if (typeof text === 'string' && typeof separator === 'string') {
    refuseOversizedValue('$split', arrayBytes(occurrences(text, separator) + 1));
  }
  return callMingo('$split', document, args.map(literal), options);
};

const zip: ExpressionOperator = (document, expression, options) => {
  if (!isDocument(expression)) return callMingo('$zip', document, expression, options);
  const inputs: unknown = evalExpr(document, expression.inputs, options);
  const defaults: unknown = evalExpr(document, expression.defaults, options);
  if (Array.isArray(inputs) && inputs.length > 0 && inputs.every(Array.isArray)) {
    const longest = expression.useLongestLength === true;
    let rows = longest ? 0 : Infinity;
    for (const input of inputs as unknown[][]) {
      rows = longest ? Math.max(rows, input.length) : Math.min(rows, input.length);
    }
    refuseOversizedValue('$zip', arrayBytes(rows) + rows * arrayBytes(inputs.length));
  }
  const args = { ...expression, inputs: literal(inputs), defaults: literal(defaults) };
  return callMingo('$zip', document, args, options);
};

/** How many nodes (fields, elements, values) an expression holds, counted once per expression. */
const expressionSizes = new WeakMap<object, number>();

function expressionNodes(expression: unknown): number {
  if (expression === null || typeof expression !== 'object') return 1;
  const known = expressionSizes.get(expression);
  if (known !== undefined) return known;
  let nodes = 0;
  const pending: unknown[] = [expression];
  while (pending.length > 0) {
    const value = pending.pop();
    nodes++;
    if (Array.isArray(value)) for (const item of value as unknown[]) pending.push(item);
    else if (isDocument(value)) for (const field of Object.values(value)) pending.push(field);
  }
  expressionSizes.set(expression, nodes);
  return nodes;
}

/**
 * Elements per call to mingo's operator: ~64k expression nodes' worth of work between two
 * checkpoints. A small expression runs 1,024 elements a call, at mingo's own speed; one huge
 * literal runs one element a call, so what it builds is checked element by element.
 */
function elementsPerCall(expression: unknown): number {
  return Math.max(1, Math.min(1_024, Math.floor(65_536 / expressionNodes(expression))));
}

/** Hands malformed arguments to mingo whole, so its own error reports them. */
function hasFields(
  expression: unknown,
  ...fields: string[]
): expression is Record<string, unknown> {
  return isDocument(expression) && fields.every((field) => field in expression);
}

/**
 * $map, $filter and $reduce evaluate an expression once per element, and that expression can be
 * a literal of any size, built anew each time where no checkpoint sees it. So mingo's operator
 * is run on a slice of the input at a time (same variables, same semantics), with a checkpoint
 * after each slice.
 */
function sliced(name: '$map' | '$filter'): ExpressionOperator {
  const body = name === '$map' ? 'in' : 'cond';
  return (document, expression, options) => {
    // $filter's limit counts across elements: leave that case whole to mingo.
    if (!hasFields(expression, 'input', body) || expression.limit !== undefined) {
      return callMingo(name, document, expression, options);
    }
    const input: unknown = evalExpr(document, expression.input, options);
    if (!Array.isArray(input)) {
      return callMingo(name, document, { ...expression, input: literal(input) }, options);
    }
    const step = elementsPerCall(expression[body]);
    const results: unknown[] = [];
    for (let start = 0; start < input.length; start += step) {
      const slice = { ...expression, input: literal(input.slice(start, start + step)) };
      const result = callMingo(name, document, slice, options);
      if (Array.isArray(result)) for (const item of result as unknown[]) results.push(item);
      checkpoint();
    }
    return results;
  };
}

const reduce: ExpressionOperator = (document, expression, options) => {
  if (!hasFields(expression, 'input', 'initialValue', 'in')) {
    return callMingo('$reduce', document, expression, options);
  }
  const input: unknown = evalExpr(document, expression.input, options);
  let value: unknown = evalExpr(document, expression.initialValue, options);
  if (!Array.isArray(input)) {
    const args = { ...expression, input: literal(input), initialValue: literal(value) };
    return callMingo('$reduce', document, args, options);
  }
  const step = elementsPerCall(expression.in);
  for (let start = 0; start < input.length; start += step) {
    const slice = input.slice(start, start + step);
    const args = { ...expression, input: literal(slice), initialValue: literal(value) };
    value = callMingo('$reduce', document, args, options);
    checkpoint();
  }
  return value;
};

/** $regexFindAll, rewritten: mingo's loops forever on a pattern that matches the empty string. */
const regexFindAll: ExpressionOperator = (document, expression, options) => {
  const args = evalExpr(document, expression, options) as Record<string, unknown>;
  const { input, regex } = args;
  const flags = typeof args.options === 'string' ? args.options : undefined;
  if (typeof input !== 'string' || regex === null || regex === undefined) return [];
  if (typeof regex !== 'string' && !(regex instanceof RegExp)) {
    throw new CommandError('BadValue', "$regexFindAll needs 'regex' to be a string or a regex");
  }
  if (flags?.includes('x') || flags?.includes('g')) {
    throw new CommandError('BadValue', `$regexFindAll: option '${flags}' is not supported`);
  }
  const source = regex instanceof RegExp ? regex.source : regex;
  const baseFlags = flags ?? (regex instanceof RegExp ? regex.flags.replace('g', '') : '');
  const pattern = new RegExp(source, `${baseFlags}g`);
  const matches: unknown[] = [];
  let bytes = approximateArrayBytes;
  for (let match = pattern.exec(input); match; match = pattern.exec(input)) {
    matches.push({
      match: match[0],
      idx: match.index,
      captures: match.slice(1).map((c) => c ?? null),
    });
    bytes += approximateValueBytes * (3 + match.length) + match[0].length;
    refuseOversizedValue('$regexFindAll', bytes);
    checkpoint();
    // An empty match would be found again at the same place: step over one code point.
    if (match[0].length === 0) {
      const code = input.codePointAt(pattern.lastIndex);
      pattern.lastIndex += code !== undefined && code > 0xffff ? 2 : 1;
    }
  }
  return matches;
};

export const limitedExpressionOperators = {
  $range: range,
  $concat: concat,
  $concatArrays: concatArrays,
  $replaceAll: replaceAll,
  $split: split,
  $zip: zip,
  $map: sliced('$map'),
  $filter: sliced('$filter'),
  $reduce: reduce,
  $regexFindAll: regexFindAll,
};
