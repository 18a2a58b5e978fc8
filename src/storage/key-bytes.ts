/**
 * Keys inside a node are bytes. The string API turns a key into bytes in a reusable scratch
 * buffer (no allocation per call), checking memcached's key rule on the way: 1–250 bytes, no
 * byte ≤ 0x20 (space, control characters) and no 0x7f.
 */

import { InvalidKeyError } from '../errors.js';

export const KEY_MAX_BYTES = 250;

/** UTF-8 of a 250-byte key can need 3 bytes per UTF-16 unit: room for any string we accept. */
const SCRATCH_BYTES = KEY_MAX_BYTES * 3;

/**
 * Writes `key` as UTF-8 into `out` (≥ 750 bytes) and returns its byte length, or throws
 * InvalidKeyError. ASCII keys take a plain loop; others go through Buffer's encoder.
 */
export function encodeKey(key: string, out: Buffer): number {
  if (typeof key !== 'string') throw new InvalidKeyError();
  const n = key.length;
  if (n === 0 || n > KEY_MAX_BYTES * 3) throw new InvalidKeyError();
  for (let i = 0; i < n; i++) {
    const c = key.charCodeAt(i);
    if (c > 0x7e) return encodeKeySlow(key, out);
    if (c <= 0x20) throw new InvalidKeyError();
    out[i] = c;
  }
  if (n > KEY_MAX_BYTES) throw new InvalidKeyError();
  return n;
}

function encodeKeySlow(key: string, out: Buffer): number {
  const length = out.write(key, 0, SCRATCH_BYTES, 'utf8');
  if (length > KEY_MAX_BYTES) throw new InvalidKeyError();
  return checkKeyBytes(out, 0, length) ? length : invalid();
}

function invalid(): never {
  throw new InvalidKeyError();
}

/** True when `bytes[offset, offset + length)` is a valid memcached key. */
export function checkKeyBytes(bytes: Uint8Array, offset: number, length: number): boolean {
  if (length < 1 || length > KEY_MAX_BYTES) return false;
  for (let i = offset; i < offset + length; i++) {
    const b = bytes[i]!;
    if (b <= 0x20 || b === 0x7f) return false;
  }
  return true;
}

/** A scratch buffer big enough for `encodeKey`. */
export function newKeyScratch(): Buffer {
  return Buffer.allocUnsafeSlow(SCRATCH_BYTES);
}

/**
 * MurmurHash3 (x86, 32-bit, seed 0) of `bytes[offset, offset + length)`: the node's hash-table
 * hash. Word-at-a-time with Math.imul, ~10 ns for a short key, no allocation. It is local to a
 * node (routing uses the ring's xxh64), so it never crosses a thread or a wire.
 */
export function hashKeyBytes(bytes: Uint8Array, offset: number, length: number): number {
  let h = 0;
  const end = offset + length;
  const wordsEnd = offset + (length & ~3);
  let i = offset;
  for (; i < wordsEnd; i += 4) {
    let k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = end - i;
  if (tail > 0) {
    let k = bytes[i]!;
    if (tail > 1) k ^= bytes[i + 1]! << 8;
    if (tail > 2) k ^= bytes[i + 2]! << 16;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
  }
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
