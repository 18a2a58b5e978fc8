/**
 * The byte-level store under CacheNode: memcached's commands on one shard of storage, with keys
 * and values as byte ranges (what the worker and the server have in hand). Items come and go
 * through ItemStore (item-store.ts), which keeps the memory bound, eviction, expiry and the
 * partition lists. An item number handed out (by `lookup`, `peekBytes`) names the item's chunk
 * and is valid until the next call that modifies the node.
 */

import {
  InvalidArgumentError,
  InvalidKeyError,
  NotNumericError,
  OutOfMemoryError,
  TooLargeError,
} from '../errors.js';
import type { CacheEntry } from '../types.js';
import { entryCopy, ValuePool } from './item-copy.js';
import { hitItem } from './item-header.js';
import { ItemStore } from './item-store.js';
import { hashKeyBytes, KEY_MAX_BYTES } from './key-bytes.js';
import { applyDelta, isU64, parseU64 } from './numeric.js';
import { NONE } from './slot-table.js';
import type { StoreMode, StoreResult } from './store-options.js';

export class ByteStore extends ItemStore {
  readonly #values = new ValuePool();

  /**
   * The item holding `key[offset, offset + length)`, or -1 on a miss; counts one hit or miss and
   * records the access. The item number is valid until the next call that modifies the node.
   * The key must be valid (the caller checked it).
   */
  lookup(key: Uint8Array, offset: number, length: number): number {
    const t = this.table;
    const item = t.find(hashKeyBytes(key, offset, length), key, offset, length);
    const slot = item === NONE ? NONE : hitItem(t.slab, item, this.clock.now());
    if (slot === NONE) {
      if (item !== NONE) this.expire(item);
      this.misses++;
      return NONE;
    }
    this.hits++;
    this.order.access(slot);
    return item;
  }

  /**
   * Like `lookup` but invisible: no hit or miss counted, no access recorded (migration and
   * inspection read through this). An expired item is reclaimed and reported missing.
   */
  peekBytes(key: Uint8Array, offset: number, length: number): number {
    const hash = hashKeyBytes(key, offset, length);
    return this.findLive(hash, key, offset, length);
  }

  /** TTL left on `item` in ms (≥ 1), or 0 when it has no expiry. */
  remainingTtlMs(item: number): number {
    const expiresAtMs = this.table.expiresAtMs(item);
    return expiresAtMs === 0 ? 0 : Math.max(1, expiresAtMs - this.clock.now());
  }

  /** CAS unique of `item` as a float64-exact integer (no BigInt). */
  casNumberOf(item: number): number {
    return this.table.cas(item);
  }

  valueLength(item: number): number {
    return this.table.valueLength(item);
  }

  flagsOf(item: number): number {
    return this.table.flags(item);
  }

  casOf(item: number): bigint {
    return BigInt(this.table.cas(item));
  }

  /** A view of the value of `item`, valid until the node is next modified (see `getValue`). */
  valueView(item: number): Uint8Array {
    const t = this.table;
    // a plain constructor call: `subarray` looks up the species constructor (~1.5× the cost)
    return new Uint8Array(t.bytesOf(item).buffer, t.valueOffset(item), t.valueLength(item));
  }

  /** Copies the value of `item` into `out` at `outOffset`; returns the bytes copied. */
  copyValue(item: number, out: Uint8Array, outOffset: number): number {
    return this.copier.copyOut(this.table, item, out, outOffset);
  }

  /**
   * A store with the key and value as byte ranges. `partition` files the item under a
   * partition (a virtual-node id); -1 derives one from the hash.
   */
  storeBytes(
    mode: StoreMode,
    key: Uint8Array,
    keyOffset: number,
    keyLength: number,
    value: Uint8Array,
    valueOffset: number,
    valueLength: number,
    ttlMs: number,
    flags: number,
    casUnique = 0n,
    partition = -1,
  ): StoreResult {
    checkRanges(key, keyOffset, keyLength, value, valueOffset, valueLength);
    const hash = hashKeyBytes(key, keyOffset, keyLength);
    const existing = this.findLive(hash, key, keyOffset, keyLength);
    const t = this.table;
    switch (mode) {
      case 'add':
        if (existing !== NONE) return 'notStored';
        break;
      case 'replace':
      case 'append':
      case 'prepend':
        if (existing === NONE) return 'notStored';
        break;
      case 'cas':
        if (existing === NONE) return 'notFound';
        if (BigInt(t.cas(existing)) !== casUnique) return 'exists';
        break;
      case 'set':
        break;
    }
    if (mode === 'append' || mode === 'prepend') {
      return this.#concat(existing, mode, value, valueOffset, valueLength);
    }
    const expiresAtMs = this.expiryFor(ttlMs); // first: a bad TTL must change nothing
    if (valueLength > this.maxItemBytes || keyLength + valueLength > this.maxMemory) {
      // memcached drops the old value of a too-large `set`, so that it is not served stale
      if (existing !== NONE && mode === 'set') this.remove(existing);
      throw new TooLargeError();
    }
    if (existing !== NONE) {
      if (expiresAtMs >= 0 && this.canOverwrite(existing, keyLength + valueLength)) {
        this.overwrite(
          existing,
          hash,
          value,
          valueOffset,
          valueLength,
          flags,
          expiresAtMs,
          partition,
        );
        return 'stored';
      }
      // only a set gives up the old value when the slab has no chunk for the new one
      if (mode !== 'set') this.#checkReplaceable(existing, keyLength + valueLength);
      this.remove(existing);
    }
    if (expiresAtMs < 0) return 'stored';
    this.insert(
      hash,
      key,
      keyOffset,
      keyLength,
      value,
      valueOffset,
      valueLength,
      flags,
      expiresAtMs,
      partition,
    );
    return 'stored';
  }

  deleteBytes(key: Uint8Array, offset: number, length: number): boolean {
    const hash = hashKeyBytes(key, offset, length);
    const item = this.findLive(hash, key, offset, length);
    if (item === NONE) return false;
    this.remove(item);
    return true;
  }

  /** incr (`isIncrement`) or decr by an unsigned `delta`. See `incr`. */
  incrBytes(
    key: Uint8Array,
    offset: number,
    length: number,
    delta: bigint,
    isIncrement: boolean,
  ): bigint | undefined {
    const hash = hashKeyBytes(key, offset, length);
    if (!isU64(delta)) throw new InvalidArgumentError('invalid numeric delta argument');
    const item = this.findLive(hash, key, offset, length);
    if (item === NONE) return undefined;
    const t = this.table;
    const page = t.bytesOf(item);
    const valueStart = t.valueOffset(item);
    const current = parseU64(page, valueStart, t.valueLength(item));
    if (current === undefined) throw new NotNumericError();
    const next = applyDelta(current, delta, isIncrement);
    const digits = Buffer.from(next.toString(), 'latin1');
    const keyLength = t.keyLength(item);
    if (digits.length === t.valueLength(item)) {
      // same length: rewrite in place, keeping the item's position and partition
      page.set(digits, valueStart);
      t.setCas(item, ++this.lastCas);
      return next;
    }
    // a new length needs a new chunk: re-store with the same flags, expiry and partition.
    // Refused first if it could never fit, or makeRoom would empty the node and overfill it.
    if (digits.length > this.maxItemBytes || keyLength + digits.length > this.maxMemory) {
      throw new TooLargeError();
    }
    const keyCopy = page.slice(valueStart - keyLength, valueStart);
    const flags = t.flags(item);
    const expiresAtMs = t.expiresAtMs(item);
    const partition = t.partition[t.slotOf(item)]!;
    this.#checkReplaceable(item, keyLength + digits.length);
    this.remove(item);
    this.insert(
      hash,
      keyCopy,
      0,
      keyLength,
      digits,
      0,
      digits.length,
      flags,
      expiresAtMs,
      partition,
    );
    return next;
  }

  touchBytes(key: Uint8Array, offset: number, length: number, ttlMs: number): boolean {
    const hash = hashKeyBytes(key, offset, length);
    const item = this.findLive(hash, key, offset, length);
    if (item === NONE) return false;
    const expiresAtMs = this.expiryFor(ttlMs);
    if (expiresAtMs < 0) {
      this.remove(item);
      return true;
    }
    const t = this.table;
    t.setExpiresAtMs(item, expiresAtMs);
    if (expiresAtMs === 0) this.heap.remove(t.slotOf(item));
    else this.heap.upsert(t.slotOf(item), expiresAtMs);
    return true;
  }

  /** append/prepend: the old value and the new bytes joined, same flags, expiry and partition. */
  #concat(
    item: number,
    mode: 'append' | 'prepend',
    value: Uint8Array,
    offset: number,
    length: number,
  ): StoreResult {
    const t = this.table;
    const keyLength = t.keyLength(item);
    const oldLength = t.valueLength(item);
    const total = oldLength + length;
    if (total > this.maxItemBytes || keyLength + total > this.maxMemory) throw new TooLargeError();
    const page = t.bytesOf(item);
    const at = t.keyOffset(item);
    const joined = new Uint8Array(keyLength + total);
    joined.set(page.subarray(at, at + keyLength), 0);
    const added = value.subarray(offset, offset + length);
    const old = page.subarray(at + keyLength, at + keyLength + oldLength);
    joined.set(mode === 'append' ? old : added, keyLength);
    joined.set(
      mode === 'append' ? added : old,
      keyLength + (mode === 'append' ? oldLength : length),
    );
    const hash = t.hash(item);
    const flags = t.flags(item);
    const expiresAt = t.expiresAtMs(item);
    const partition = t.partition[t.slotOf(item)]!;
    this.#checkReplaceable(item, keyLength + total);
    this.remove(item);
    this.insert(hash, joined, 0, keyLength, joined, keyLength, total, flags, expiresAt, partition);
    return 'stored';
  }

  /**
   * Throws OutOfMemoryError, keeping `item`, when the slab could not hold its replacement of
   * `itemBytes` once it is gone: replace, cas, append, prepend and incr keep the old value on
   * that error, as memcached's do.
   */
  #checkReplaceable(item: number, itemBytes: number): void {
    if (!this.table.canReplace(item, itemBytes)) throw new OutOfMemoryError();
  }

  /** A copy of `item` as a CacheEntry (what `CacheNode.get` hands out). */
  entryAt(item: number): CacheEntry {
    return entryCopy(this.table, item, this.#values);
  }
}

/**
 * The byte ranges of a store lie inside their arrays and the key has memcached's length
 * (1–250 bytes; its bytes are the caller's to check). Checked before anything is allocated: a
 * copy that failed halfway would leave an item half stored.
 */
function checkRanges(
  key: Uint8Array,
  keyOffset: number,
  keyLength: number,
  value: Uint8Array,
  valueOffset: number,
  valueLength: number,
): void {
  if (keyLength < 1 || keyLength > KEY_MAX_BYTES || !inside(key, keyOffset, keyLength)) {
    throw new InvalidKeyError();
  }
  if (!inside(value, valueOffset, valueLength)) {
    throw new InvalidArgumentError('the value range lies outside its array');
  }
}

function inside(bytes: Uint8Array, offset: number, length: number): boolean {
  return (
    Number.isInteger(offset) &&
    Number.isInteger(length) &&
    offset >= 0 &&
    length >= 0 &&
    offset + length <= bytes.length
  );
}
