/**
 * One shard of storage with the API of DESIGN.md: string keys, `Uint8Array` values, typed errors.
 * Each call encodes its key into a scratch buffer (checking memcached's key rule) and runs the
 * byte-level operation of ByteStore; nothing per item is a JS object.
 */

import { InvalidArgumentError } from '../errors.js';
import type { CacheEntry } from '../types.js';
import { ByteStore } from './byte-store.js';
import { encodeKey, newKeyScratch } from './key-bytes.js';
import type { StoreMode, StoreResult } from './store-options.js';

export {
  type CacheNodeOptions,
  DEFAULT_MAX_ITEM_BYTES,
  type StoreMode,
  type StoreResult,
} from './store-options.js';

export class CacheNode extends ByteStore {
  readonly #scratch = newKeyScratch();

  /** The entry for `key` (a copy), or undefined on a miss. Counts one hit or one miss. */
  get(key: string): CacheEntry | undefined {
    const length = encodeKey(key, this.#scratch);
    const slot = this.lookup(this.#scratch, 0, length);
    return slot < 0 ? undefined : this.entryAt(slot);
  }

  /**
   * Just the value, as a VIEW into the node's slab: no copy, so it is the fastest read, and it
   * is valid only until the next call that modifies this node (any store, delete, incr, touch,
   * flush or sweep, which may reuse the bytes), and that includes handing it to a store as its
   * value: the store may evict the item the view reads from before copying it. Copy it to keep
   * it; `get` returns a copy.
   */
  getValue(key: string): Uint8Array | undefined {
    const length = encodeKey(key, this.#scratch);
    const slot = this.lookup(this.#scratch, 0, length);
    return slot < 0 ? undefined : this.valueView(slot);
  }

  /**
   * Stores `value` under `key`. `ttlMs` 0 or omitted means the node's default TTL (none by
   * default); a negative TTL stores an already-expired item, so the key is simply gone.
   * Throws TooLargeError for a value over `maxItemBytes` or an item bigger than the node (and,
   * like memcached, drops the key's old value so it is not served stale).
   */
  set(key: string, value: Uint8Array, ttlMs = 0, flags = 0): boolean {
    return this.store('set', key, value, ttlMs, flags) === 'stored';
  }

  /** memcached's storage commands; `casUnique` is only read by `cas`. */
  store(
    mode: StoreMode,
    key: string,
    value: Uint8Array,
    ttlMs = 0,
    flags = 0,
    casUnique = 0n,
  ): StoreResult {
    checkStoreArgs(value, ttlMs, flags);
    const length = encodeKey(key, this.#scratch);
    return this.storeBytes(
      mode,
      this.#scratch,
      0,
      length,
      value,
      0,
      value.length,
      ttlMs,
      flags,
      casUnique,
    );
  }

  delete(key: string): boolean {
    const length = encodeKey(key, this.#scratch);
    return this.deleteBytes(this.#scratch, 0, length);
  }

  /**
   * Adds `delta` to the unsigned 64-bit decimal stored at `key` (a negative delta decrements,
   * stopping at 0; incrementing wraps at 2^64). Returns the new value, or undefined when the key
   * is missing. Throws NotNumericError when the value is not such a number (it is left as is).
   */
  incr(key: string, delta: bigint | number): bigint | undefined {
    const d = toDelta(delta);
    const length = encodeKey(key, this.#scratch);
    return this.incrBytes(this.#scratch, 0, length, d < 0n ? -d : d, d >= 0n);
  }

  /** `incr` with the delta subtracted (memcached's decr). */
  decr(key: string, delta: bigint | number): bigint | undefined {
    const d = toDelta(delta);
    if (d < 0n) throw new InvalidArgumentError('decr delta must not be negative');
    const length = encodeKey(key, this.#scratch);
    return this.incrBytes(this.#scratch, 0, length, d, false);
  }

  /** Sets a new TTL on an existing item (0: no expiry). False when the key is missing. */
  touch(key: string, ttlMs: number): boolean {
    checkTtl(ttlMs);
    const length = encodeKey(key, this.#scratch);
    return this.touchBytes(this.#scratch, 0, length, ttlMs);
  }
}

/** A TTL argument: any number (0 = default, negative = already expired), never NaN. */
export function checkTtl(ttlMs: unknown): number {
  if (typeof ttlMs !== 'number' || Number.isNaN(ttlMs))
    throw new InvalidArgumentError('ttlMs must be a number');
  return ttlMs;
}

/** memcached's client flags: an unsigned 32-bit integer. */
export function checkFlags(flags: unknown): number {
  if (typeof flags !== 'number' || !Number.isInteger(flags) || flags < 0 || flags > 0xffffffff) {
    throw new InvalidArgumentError('flags must be an unsigned 32-bit integer');
  }
  return flags;
}

function checkStoreArgs(value: unknown, ttlMs: unknown, flags: unknown): void {
  if (!(value instanceof Uint8Array)) throw new InvalidArgumentError('value must be a Uint8Array');
  checkTtl(ttlMs);
  checkFlags(flags);
}

/** A delta for incr: a bigint, or a safe integer number. */
export function toDelta(delta: bigint | number): bigint {
  if (typeof delta === 'bigint') return delta;
  if (typeof delta === 'number' && Number.isSafeInteger(delta)) return BigInt(delta);
  throw new InvalidArgumentError('invalid numeric delta argument');
}
