import { describe, expect, it } from 'vitest';
import xxhash from 'xxhash-wasm';
import { hashBytes, hashKey, PrefixHasher } from '../../../src/ring/hasher.js';
import { encodeKey, newKeyScratch } from '../../../src/storage/key-bytes.js';

// Hashed at module load, before any test or hook runs: importing hasher.ts must be enough.
const hashedAtImport = hashKey('abc');

const utf8 = new TextEncoder();

describe('hasher', () => {
  it('is ready as soon as the module is imported', () => {
    expect(hashedAtImport).toBe(0x44bc2cf5ad770999n);
  });

  it('is xxh64 with seed 0 (reference vectors)', () => {
    expect(hashKey('')).toBe(0xef46db3751d8e999n);
    expect(hashKey('abc')).toBe(0x44bc2cf5ad770999n);
    expect(hashKey('Nobody inspects the spammish repetition')).toBe(0xfbcea83c8a378bf1n);
    expect(hashBytes(new Uint8Array(0))).toBe(0xef46db3751d8e999n);
    expect(hashBytes(utf8.encode('abc'))).toBe(0x44bc2cf5ad770999n);
  });

  it('hashes a string as its UTF-8 bytes', () => {
    for (const key of ['key1', 'ключ', '鍵', 'emoji🔑', 'a'.repeat(250), 'x\u00e9y']) {
      expect(hashKey(key)).toBe(hashBytes(utf8.encode(key)));
    }
  });

  it('agrees with xxhash-wasm h64/h64Raw', async () => {
    const api = await xxhash();
    for (const key of ['', 'k', 'key:12345', 'long'.repeat(100)]) {
      expect(hashKey(key)).toBe(api.h64(key));
      expect(hashBytes(utf8.encode(key))).toBe(api.h64Raw(utf8.encode(key)));
    }
  });

  it('PrefixHasher hashes the first n bytes of its scratch buffer, at any offset', () => {
    const backing = new Uint8Array(1000);
    const scratch = Buffer.from(backing.buffer, 100, 750);
    const hasher = new PrefixHasher(scratch);
    for (const key of ['k', 'key:12345', 'ключ', 'a'.repeat(250), 'key:12345']) {
      expect(hasher.hash(encodeKey(key, scratch))).toBe(hashKey(key));
    }
    expect(hasher.hash(0)).toBe(hashKey(''));
    expect(newKeyScratch().length).toBe(750);
  });

  it('returns a uint64', () => {
    for (let i = 0; i < 1000; i++) {
      const hash = hashKey(`key${i}`);
      expect(hash >= 0n && hash < 2n ** 64n).toBe(true);
    }
  });

  it('hashes only the bytes of a subarray view', () => {
    const buffer = utf8.encode('xxabcxx');
    expect(hashBytes(buffer.subarray(2, 5))).toBe(hashKey('abc'));
  });
});
