import {
  Binary,
  BSON,
  BSONRegExp,
  Code,
  Decimal128,
  Double,
  Int32,
  Long,
  MaxKey,
  MinKey,
  ObjectId,
  Timestamp,
  UUID,
} from 'bson';
import { bsonSizeUpTo } from '../../src/wire-server/limits/document-size';
import { usesRegularExpression } from '../../src/wire-server/limits/regular-expressions';

describe('bsonSizeUpTo', () => {
  it.each([
    ['an empty document', {}],
    ['numbers of every width', { a: 1, b: -(2 ** 31), c: 2 ** 31, d: 1.5, e: 10n, f: -0 }],
    ['BSON number classes', { a: new Int32(1), b: new Double(2), c: Long.fromNumber(3) }],
    ['strings in several scripts', { a: 'plain', b: 'größe', c: '日本語', d: '😀', é: '' }],
    ['nested documents and arrays', { a: { b: { c: [1, [2, { d: 'x' }], []] } }, e: [] }],
    ['long arrays, whose keys grow', { a: Array.from({ length: 1_234 }, (_, i) => i) }],
    [
      'the other BSON types',
      {
        id: new ObjectId(),
        date: new Date(0),
        decimal: Decimal128.fromString('1.5'),
        binary: new Binary(Buffer.from('abc')),
        old: new Binary(Buffer.from('abc'), 2),
        uuid: new UUID(),
        regex: /a+b/gi,
        bsonRegex: new BSONRegExp('x', 'i'),
        timestamp: new Timestamp({ t: 1, i: 2 }),
        min: new MinKey(),
        max: new MaxKey(),
        code: new Code('x()'),
        nothing: null,
        missing: undefined,
        yes: true,
      },
    ],
  ])('counts %s exactly as BSON does', (_label, document) => {
    expect(bsonSizeUpTo(document, Infinity)).toBe(BSON.calculateObjectSize(document));
  });

  it('stops soon after the limit', () => {
    const row = Array.from({ length: 1_000 }, (_, index) => index);
    // Virtually 8 GB: the same row a million times.
    const rows = Array.from({ length: 1_000_000 }, () => row);
    const size = bsonSizeUpTo({ rows }, 1_000_000);
    expect(size).toBeGreaterThan(1_000_000);
    expect(size).toBeLessThan(1_100_000);
  });
});

describe('usesRegularExpression', () => {
  it.each([
    [{ find: 'c', filter: { a: /x/ } }, true],
    [{ find: 'c', filter: { a: { $regex: 'x' } } }, true],
    [{ find: 'c', filter: { $or: [{ a: 1 }, { b: { $in: [/y/] } }] } }, true],
    [
      {
        aggregate: 'c',
        pipeline: [{ $match: { $expr: { $regexMatch: { input: '$a', regex: '$p' } } } }],
      },
      true,
    ],
    [{ find: 'c', filter: { a: 'x' } }, false],
    [{ insert: 'c', documents: [{ stored: /x/ }] }, false],
    [{ update: 'c', updates: [{ q: { a: /x/ }, u: { $set: { b: 1 } } }] }, true],
  ])('%p → %p', (command, expected) => {
    expect(usesRegularExpression(command)).toBe(expected);
  });
});
