import { Decimal128, Double, Int32, Long } from 'bson';
import { compareBson } from '../bson-order';
import { toNumber } from '../bson-values';

// mongod's arithmetic type rules for $inc and $mul: the result has the wider of the two types
// (int < long < double < decimal), and an int32 result that overflows becomes a long.

type NumericKind = 0 | 1 | 2 | 3;
const Int = 0;
const LongKind = 1;
const DoubleKind = 2;
const DecimalKind = 3;

function kindOf(value: unknown): NumericKind {
  if (value instanceof Decimal128) return DecimalKind;
  if (value instanceof Double) return DoubleKind;
  if (value instanceof Long || typeof value === 'bigint') return LongKind;
  if (value instanceof Int32) return Int;
  if (typeof value === 'number') {
    return Number.isInteger(value) && value >= -0x80000000 && value <= 0x7fffffff
      ? Int
      : DoubleKind;
  }
  return Int;
}

function toBigInt(value: unknown): bigint {
  if (value instanceof Long) return value.toBigInt();
  if (typeof value === 'bigint') return value;
  return BigInt(Math.trunc(toNumber(value) ?? 0));
}

const int64Min = -(2n ** 63n);
const int64Max = 2n ** 63n - 1n;

function fromBigInt(result: bigint, kind: NumericKind): unknown {
  if (kind === Int && result >= -0x80000000n && result <= 0x7fffffffn)
    return new Int32(Number(result));
  if (result >= int64Min && result <= int64Max) return Long.fromBigInt(result);
  return new Double(Number(result));
}

export function arithmetic(operator: '$inc' | '$mul', current: unknown, operand: unknown): unknown {
  if (current === undefined) {
    if (operator === '$inc') return operand;
    // $mul on a missing field stores a zero of the multiplier's type.
    return arithmetic('$mul', zeroLike(operand), operand);
  }
  const kind = Math.max(kindOf(current), kindOf(operand)) as NumericKind;
  if (kind === DecimalKind) {
    const a = toNumber(current) ?? 0;
    const b = toNumber(operand) ?? 0;
    return Decimal128.fromString(String(operator === '$inc' ? a + b : a * b));
  }
  if (kind === DoubleKind) {
    const a = toNumber(current) ?? 0;
    const b = toNumber(operand) ?? 0;
    return new Double(operator === '$inc' ? a + b : a * b);
  }
  const a = toBigInt(current);
  const b = toBigInt(operand);
  return fromBigInt(operator === '$inc' ? a + b : a * b, kind);
}

function zeroLike(value: unknown): unknown {
  switch (kindOf(value)) {
    case DecimalKind:
      return Decimal128.fromString('0');
    case DoubleKind:
      return new Double(0);
    case LongKind:
      return Long.ZERO;
    default:
      return new Int32(0);
  }
}

/** $min / $max: replace when the new value sorts before (after) the current one. */
export function extremum(operator: '$min' | '$max', current: unknown, operand: unknown): unknown {
  if (current === undefined) return operand;
  const order = compareBson(operand, current);
  if (operator === '$min' ? order < 0 : order > 0) return operand;
  return current;
}
