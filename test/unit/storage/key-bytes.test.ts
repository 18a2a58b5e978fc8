import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidKeyError } from '../../../src/errors.js';
import {
  checkKeyBytes,
  encodeKey,
  hashKeyBytes,
  KEY_MAX_BYTES,
  newKeyScratch,
} from '../../../src/storage/key-bytes.js';

const utf8 = new TextEncoder();

function encoded(key: string): number[] {
  const out = newKeyScratch();
  const length = encodeKey(key, out);
  return [...out.subarray(0, length)];
}

function expectInvalid(key: string): void {
  const out = newKeyScratch();
  let caught: unknown;
  try {
    encodeKey(key, out);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(InvalidKeyError);
  expect((caught as InvalidKeyError).code).toBe('INVALID_KEY');
}

/**
 * MurmurHash3_x86_32 straight from the reference C (smhasher's MurmurHash3.cpp): little-endian
 * blocks read through a DataView, tail in the reference's order. Written independently of
 * key-bytes.ts, which works on bytes with shifts.
 */
function murmur3Reference(data: Uint8Array, seed = 0): number {
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  const rotl = (x: number, r: number): number => ((x << r) | (x >>> (32 - r))) >>> 0;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const blocks = Math.floor(data.length / 4);
  let h1 = seed >>> 0;
  for (let i = 0; i < blocks; i++) {
    let k1 = view.getUint32(i * 4, true);
    k1 = Math.imul(k1, c1) >>> 0;
    k1 = rotl(k1, 15);
    k1 = Math.imul(k1, c2) >>> 0;
    h1 = (h1 ^ k1) >>> 0;
    h1 = rotl(h1, 13);
    h1 = (Math.imul(h1, 5) + 0xe6546b64) >>> 0;
  }
  const tail = blocks * 4;
  const rest = data.length & 3;
  let k1 = 0;
  // the reference's fallthrough switch, case 3 → 2 → 1
  if (rest >= 3) k1 ^= data[tail + 2]! << 16;
  if (rest >= 2) k1 ^= data[tail + 1]! << 8;
  if (rest >= 1) {
    k1 ^= data[tail]!;
    k1 = Math.imul(k1, c1) >>> 0;
    k1 = rotl(k1, 15);
    k1 = Math.imul(k1, c2) >>> 0;
    h1 = (h1 ^ k1) >>> 0;
  }
  h1 = (h1 ^ data.length) >>> 0;
  h1 ^= h1 >>> 16;
  h1 = Math.imul(h1, 0x85ebca6b) >>> 0;
  h1 ^= h1 >>> 13;
  h1 = Math.imul(h1, 0xc2b2ae35) >>> 0;
  h1 ^= h1 >>> 16;
  return h1 >>> 0;
}

describe('encodeKey', () => {
  it('writes an ASCII key as its bytes and returns the length', () => {
    expect(encoded('key1')).toEqual([0x6b, 0x65, 0x79, 0x31]);
    expect(encoded('!')).toEqual([0x21]);
    expect(encoded('~')).toEqual([0x7e]);
  });

  it('accepts exactly 1 to 250 ASCII bytes', () => {
    expect(KEY_MAX_BYTES).toBe(250);
    expect(encoded('a'.repeat(250))).toHaveLength(250);
    expectInvalid('a'.repeat(251));
    expectInvalid('');
    expectInvalid('a'.repeat(800));
  });

  it('rejects spaces, control characters and DEL anywhere in the key', () => {
    for (const bad of [
      'a b',
      ' a',
      'a ',
      'a\tb',
      'a\nb',
      'a\r',
      '\x00',
      'a\x1f',
      'a\x7f',
      '\x7fa',
    ]) {
      expectInvalid(bad);
    }
  });

  it('encodes non-ASCII keys as UTF-8', () => {
    expect(encoded('clé')).toEqual([...utf8.encode('clé')]);
    expect(encoded('clé')).toHaveLength(4);
    expect(encoded('🔑')).toEqual([0xf0, 0x9f, 0x94, 0x91]);
    expect(encoded('ключ')).toEqual([...utf8.encode('ключ')]);
    // a C1 control character is bytes 0xc2 0x85 in UTF-8: no byte ≤ 0x20, so memcached takes it
    expect(encoded('a\u0085')).toEqual([0x61, 0xc2, 0x85]);
  });

  it('counts the 250-byte limit in UTF-8 bytes, not in characters', () => {
    expect(encoded('é'.repeat(125))).toHaveLength(250);
    expectInvalid('é'.repeat(126));
    expect(encoded(`${'🔑'.repeat(62)}ab`)).toHaveLength(250);
    expectInvalid(`${'🔑'.repeat(62)}abc`);
    expectInvalid('🔑'.repeat(63));
    expectInvalid('鍵'.repeat(84)); // 252 bytes in 84 UTF-16 units
    expect(encoded('鍵'.repeat(83))).toHaveLength(249);
  });

  it('rejects control characters after a non-ASCII character too (slow path)', () => {
    expectInvalid('é\n');
    expectInvalid('é b');
    expectInvalid('é\x7f');
    expectInvalid('\x7fé');
  });

  it('overwrites what an earlier key left in the scratch buffer', () => {
    const out = newKeyScratch();
    encodeKey('z'.repeat(200), out);
    const length = encodeKey('clé', out);
    expect([...out.subarray(0, length)]).toEqual([...utf8.encode('clé')]);
  });

  it('agrees with checkKeyBytes on random strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (key) => {
        const bytes = Buffer.from(key, 'utf8');
        const out = newKeyScratch();
        if (checkKeyBytes(bytes, 0, bytes.length)) {
          const length = encodeKey(key, out);
          expect(Buffer.from(out.subarray(0, length)).equals(bytes)).toBe(true);
        } else {
          expect(() => encodeKey(key, out)).toThrow(InvalidKeyError);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('checkKeyBytes', () => {
  it('checks only the given range of a larger buffer', () => {
    const buffer = Buffer.from(' key\n');
    expect(checkKeyBytes(buffer, 1, 3)).toBe(true);
    expect(checkKeyBytes(buffer, 0, 4)).toBe(false);
    expect(checkKeyBytes(buffer, 1, 4)).toBe(false);
    expect(checkKeyBytes(buffer, 1, 0)).toBe(false);
  });

  it('enforces 1..250 bytes and the forbidden bytes', () => {
    expect(checkKeyBytes(new Uint8Array(250).fill(0x41), 0, 250)).toBe(true);
    expect(checkKeyBytes(new Uint8Array(251).fill(0x41), 0, 251)).toBe(false);
    for (let b = 0; b < 256; b++) {
      expect(checkKeyBytes(Uint8Array.of(0x41, b), 0, 2)).toBe(b > 0x20 && b !== 0x7f);
    }
  });
});

describe('hashKeyBytes', () => {
  it('is MurmurHash3_x86_32 with seed 0 (known vectors)', () => {
    expect(hashKeyBytes(new Uint8Array(0), 0, 0)).toBe(0);
    expect(hashKeyBytes(utf8.encode('hello'), 0, 5)).toBe(0x248bfa47);
    const fox = utf8.encode('The quick brown fox jumps over the lazy dog');
    expect(hashKeyBytes(fox, 0, fox.length)).toBe(0x2e4ff723);
    expect(hashKeyBytes(Uint8Array.of(0, 0, 0, 0), 0, 4)).toBe(0x2362f9de);
    expect(hashKeyBytes(utf8.encode('abc'), 0, 3)).toBe(0xb3dd93fa);
  });

  it('matches the reference implementation for every tail length and random bytes', () => {
    for (let n = 0; n <= 17; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + 250) & 0xff);
      expect(hashKeyBytes(bytes, 0, n)).toBe(murmur3Reference(bytes));
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(hashKeyBytes(bytes, 0, bytes.length)).toBe(murmur3Reference(bytes));
      }),
      { numRuns: 300 },
    );
  });

  it('hashes a range inside a larger buffer like the same bytes on their own', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 40 }),
        fc.uint8Array({ maxLength: 40 }),
        fc.uint8Array({ maxLength: 40 }),
        (before, middle, after) => {
          const whole = new Uint8Array([...before, ...middle, ...after]);
          expect(hashKeyBytes(whole, before.length, middle.length)).toBe(
            hashKeyBytes(Uint8Array.from(middle), 0, middle.length),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('returns an unsigned 32-bit integer', () => {
    for (let i = 0; i < 1000; i++) {
      const key = utf8.encode(`key:${i}`);
      const hash = hashKeyBytes(key, 0, key.length);
      expect(Number.isInteger(hash) && hash >= 0 && hash <= 0xffffffff).toBe(true);
    }
  });
});
