import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyDelta, isU64, parseU64 } from '../../../src/storage/numeric.js';

const U64_MAX = 2n ** 64n - 1n;

function parse(text: string): bigint | undefined {
  const bytes = Buffer.from(text, 'latin1');
  return parseU64(bytes, 0, bytes.length);
}

describe('parseU64', () => {
  it('reads unsigned decimals', () => {
    expect(parse('0')).toBe(0n);
    expect(parse('7')).toBe(7n);
    expect(parse('42')).toBe(42n);
    expect(parse('007')).toBe(7n);
    expect(parse('123456789012345')).toBe(123456789012345n); // 15 digits: the float path
    expect(parse('1234567890123456')).toBe(1234567890123456n); // 16: float + BigInt
    expect(parse('9007199254740993')).toBe(9007199254740993n); // 2^53 + 1: not a float
    expect(parse('18446744073709551615')).toBe(U64_MAX);
    expect(parse('00000000000000000001')).toBe(1n); // 20 digits with leading zeros
  });

  it('accepts trailing spaces, CR and LF, as memcached strtoull does', () => {
    expect(parse('12 ')).toBe(12n);
    expect(parse('12\r\n')).toBe(12n);
    expect(parse('12  \r\n \n')).toBe(12n);
    expect(parse('18446744073709551615\r\n')).toBe(U64_MAX);
  });

  it('rejects anything that is not an unsigned 64-bit decimal', () => {
    for (const bad of [
      '',
      ' ',
      '\r\n',
      'abc',
      '12abc',
      'abc12',
      '1 2',
      '-5',
      '+5',
      '1.5',
      '1e3',
      '0x10',
      '12\t',
      '18446744073709551616', // 2^64
      '99999999999999999999', // 20 digits, > 2^64 - 1
      '100000000000000000000', // 21 digits
      '000000000000000000001', // 21 digits even if small
    ]) {
      expect(parse(bad), JSON.stringify(bad)).toBeUndefined();
    }
  });

  it('reads only the given range of a larger buffer', () => {
    const bytes = Buffer.from('x123y');
    expect(parseU64(bytes, 1, 3)).toBe(123n);
    expect(parseU64(bytes, 1, 4)).toBeUndefined();
    expect(parseU64(bytes, 1, 0)).toBeUndefined();
  });

  it('round-trips every u64 written in decimal', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: U64_MAX }), (n) => {
        expect(parse(n.toString())).toBe(n);
      }),
      { numRuns: 300 },
    );
  });

  it('agrees with a regex-and-BigInt model on random digit strings', () => {
    const chars = fc.constantFrom(...'0123456789 \r\na-'.split(''));
    fc.assert(
      fc.property(fc.array(chars, { maxLength: 24 }), (parts) => {
        const text = parts.join('');
        const trimmed = text.replace(/[ \r\n]+$/, '');
        const expected =
          /^[0-9]{1,20}$/.test(trimmed) && BigInt(trimmed) <= U64_MAX ? BigInt(trimmed) : undefined;
        expect(parse(text)).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });
});

describe('applyDelta', () => {
  it('increments, wrapping at 2^64', () => {
    expect(applyDelta(10n, 5n, true)).toBe(15n);
    expect(applyDelta(U64_MAX, 1n, true)).toBe(0n);
    expect(applyDelta(U64_MAX, 2n, true)).toBe(1n);
    expect(applyDelta(U64_MAX, U64_MAX, true)).toBe(U64_MAX - 1n);
    expect(applyDelta(0n, 0n, true)).toBe(0n);
  });

  it('decrements, stopping at 0', () => {
    expect(applyDelta(10n, 3n, false)).toBe(7n);
    expect(applyDelta(10n, 10n, false)).toBe(0n);
    expect(applyDelta(10n, 11n, false)).toBe(0n);
    expect(applyDelta(0n, 1n, false)).toBe(0n);
    expect(applyDelta(U64_MAX, U64_MAX, false)).toBe(0n);
  });
});

describe('isU64', () => {
  it('accepts exactly 0..2^64-1', () => {
    expect(isU64(0n)).toBe(true);
    expect(isU64(U64_MAX)).toBe(true);
    expect(isU64(-1n)).toBe(false);
    expect(isU64(U64_MAX + 1n)).toBe(false);
  });
});
