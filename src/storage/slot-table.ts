/**
 * The per-entry metadata of a node, indexed by slot number, plus the hash index over it:
 *
 *   buckets[hash & mask] ─► slot ─chain─► slot ─chain─► -1
 *
 *   rows (56 bytes per slot; a float64 view and an int32 view of one ArrayBuffer)
 *   ┌─────────────┬─────┬──────────────┬────────────┬──────┬─────────────────┬──────┬───────┬──────────┬─────────────┬───────┐
 *   │ expiresAtMs │ cas │ lastAccessed │ createdSec │ page │ offset | keyLen │ hash │ chain │ valueLen │ accessCount │ flags │
 *   └─────────────┴─────┴──────────────┴────────────┴──────┴─────────────────┴──────┴───────┴──────────┴─────────────┴───────┘
 *   columns: next, prev (eviction order); partition, partNext, partPrev
 *
 * The offset in a page is below 2^20 and a key at most 250 bytes, so they share one int32; the
 * creation time is kept in whole seconds (like memcached's item time). That keeps a slot at 76
 * bytes, which with 112 bytes of key and value puts a node under memcached's bytes per item.
 *
 * A lookup touches its bucket, one row and the slab bytes: one column per field (the first
 * layout tried) cost a cache miss per field. The eviction links stay columns of their own: a
 * hit relinks three neighbours, and 8 bytes per slot stay in cache where 64-byte rows would
 * not (measured: 2× slower lookups with the links inside the rows). Key and value
 * bytes sit in the slab allocator at (page, offset) (key first, then value); keyLen 0 marks a free
 * slot. Freed slots go on a stack and are reused first. Rows are reserved up front (zeroed
 * memory the OS only commits when a row is first written) and grow by 1.5× past that (amortised
 * O(1)); the bucket array doubles when entries outnumber buckets, so chains stay short.
 */

import type { SlabAllocator } from './slab-allocator.js';

export const NONE = -1;

// Field positions: float64 fields in units of 8 bytes, int32 fields in units of 4 bytes.
const ROW_F64 = 7;
const ROW_I32 = 14;
const F_EXPIRES = 0;
const F_CAS = 1;
const F_ACCESSED = 2;
const I_CREATED_SEC = 6;
const I_PAGE = 7;
/** offset in the page | key length << 20 */
const I_OFFSET_KEY = 8;
const I_HASH = 9;
const I_CHAIN = 10;
const I_VALUE_LENGTH = 11;
const I_ACCESS_COUNT = 12;
const I_FLAGS = 13;
const KEY_SHIFT = 20;
const OFFSET_MASK = (1 << KEY_SHIFT) - 1;
const ROW_BYTES = 56;
/** Row bytes + columns (4 + 4 + 4 + 4 + 4) per slot: 76. */
const SLOT_BYTES = ROW_BYTES + 20;

type Column = Float64Array | Uint32Array | Int32Array;

function grown<T extends Column>(column: T, capacity: number): T {
  const next = new (column.constructor as new (n: number) => T)(capacity);
  next.set(column);
  return next;
}

export class SlotTable {
  capacity: number;
  #f64: Float64Array;
  #i32: Int32Array;
  #next: Int32Array;
  #prev: Int32Array;
  partition: Uint32Array;
  partNext: Int32Array;
  partPrev: Int32Array;

  buckets: Int32Array;
  #mask: number;
  readonly #freeSlots: number[] = [];
  /** Slots below this have been handed out at least once. */
  highWater = 0;
  count = 0;
  /** Called after the rows grew, so that policy-owned columns can follow. */
  onGrow: ((capacity: number) => void) | undefined;

  constructor(initialCapacity: number) {
    const cap = Math.max(16, initialCapacity);
    this.capacity = cap;
    const rows = new ArrayBuffer(cap * ROW_BYTES);
    this.#f64 = new Float64Array(rows);
    this.#i32 = new Int32Array(rows);
    this.#next = new Int32Array(cap);
    this.#prev = new Int32Array(cap);
    this.partition = new Uint32Array(cap);
    this.partNext = new Int32Array(cap);
    this.partPrev = new Int32Array(cap);
    // Buckets follow the entry count, not the capacity: filling them touches every page, while
    // reserved but unused rows cost no resident memory.
    this.buckets = new Int32Array(1024).fill(NONE);
    this.#mask = 1023;
  }

  // Field accessors: small enough for V8 to inline; they keep the row arithmetic in one place.
  /** Slab page of the item's bytes (key, then value). */
  page(slot: number): number {
    return this.#i32[slot * ROW_I32 + I_PAGE]!;
  }
  /** Offset of the item's bytes in its page. */
  offset(slot: number): number {
    return this.#i32[slot * ROW_I32 + I_OFFSET_KEY]! & OFFSET_MASK;
  }
  /** Places the item's bytes; a zero key length marks the slot free. */
  setChunk(slot: number, page: number, offset: number, keyLength: number): void {
    this.#i32[slot * ROW_I32 + I_PAGE] = page;
    this.#i32[slot * ROW_I32 + I_OFFSET_KEY] = offset | (keyLength << KEY_SHIFT);
  }
  /** Absolute expiry, 0 for none. */
  expiresAtMs(slot: number): number {
    return this.#f64[slot * ROW_F64 + F_EXPIRES]!;
  }
  setExpiresAtMs(slot: number, value: number): void {
    this.#f64[slot * ROW_F64 + F_EXPIRES] = value;
  }
  /** CAS unique as a float64 integer (exact below 2^53, which a node never reaches). */
  cas(slot: number): number {
    return this.#f64[slot * ROW_F64 + F_CAS]!;
  }
  setCas(slot: number, value: number): void {
    this.#f64[slot * ROW_F64 + F_CAS] = value;
  }
  /** Creation time, to the second. */
  createdAtMs(slot: number): number {
    return (this.#i32[slot * ROW_I32 + I_CREATED_SEC]! >>> 0) * 1000;
  }
  setCreatedAtMs(slot: number, value: number): void {
    this.#i32[slot * ROW_I32 + I_CREATED_SEC] = Math.floor(value / 1000);
  }
  lastAccessedMs(slot: number): number {
    return this.#f64[slot * ROW_F64 + F_ACCESSED]!;
  }
  setLastAccessedMs(slot: number, value: number): void {
    this.#f64[slot * ROW_F64 + F_ACCESSED] = value;
  }
  /** Hash-table hash (uint32 stored as int32). */
  hash(slot: number): number {
    return this.#i32[slot * ROW_I32 + I_HASH]!;
  }
  setHash(slot: number, value: number): void {
    this.#i32[slot * ROW_I32 + I_HASH] = value;
  }
  /** Eviction-order links, used by every policy. */
  next(slot: number): number {
    return this.#next[slot]!;
  }
  setNext(slot: number, value: number): void {
    this.#next[slot] = value;
  }
  prev(slot: number): number {
    return this.#prev[slot]!;
  }
  setPrev(slot: number, value: number): void {
    this.#prev[slot] = value;
  }
  valueLength(slot: number): number {
    return this.#i32[slot * ROW_I32 + I_VALUE_LENGTH]!;
  }
  setValueLength(slot: number, value: number): void {
    this.#i32[slot * ROW_I32 + I_VALUE_LENGTH] = value;
  }
  keyLength(slot: number): number {
    return this.#i32[slot * ROW_I32 + I_OFFSET_KEY]! >>> KEY_SHIFT;
  }
  accessCount(slot: number): number {
    return this.#i32[slot * ROW_I32 + I_ACCESS_COUNT]!;
  }
  /** Counts a hit, saturating at 2^31 - 1. */
  countAccess(slot: number): void {
    const at = slot * ROW_I32 + I_ACCESS_COUNT;
    if (this.#i32[at]! < 0x7fffffff) this.#i32[at]!++;
  }
  setAccessCount(slot: number, value: number): void {
    this.#i32[slot * ROW_I32 + I_ACCESS_COUNT] = value;
  }
  /** memcached's 32-bit client flags. */
  flags(slot: number): number {
    return this.#i32[slot * ROW_I32 + I_FLAGS]! >>> 0;
  }
  setFlags(slot: number, value: number): void {
    this.#i32[slot * ROW_I32 + I_FLAGS] = value;
  }

  /**
   * Bytes the rows, columns and buckets really occupy: slots ever handed out (reserved rows past
   * them are never written, so the OS never commits them) plus the bucket array.
   */
  get physicalBytes(): number {
    return this.highWater * SLOT_BYTES + this.buckets.length * 4 + this.#freeSlots.length * 8;
  }

  /** A slot for a new entry; grows the rows when full. */
  allocate(): number {
    const reused = this.#freeSlots.pop();
    if (reused !== undefined) return reused;
    if (this.highWater === this.capacity) this.#grow();
    return this.highWater++;
  }

  release(slot: number): void {
    this.#i32[slot * ROW_I32 + I_OFFSET_KEY] = 0;
    this.#freeSlots.push(slot);
  }

  /**
   * The slot whose key equals `key[offset, offset + length)` with hash `hash`, or NONE.
   * Compares the stored hash and length before any byte.
   */
  find(hash: number, key: Uint8Array, offset: number, length: number, slab: SlabAllocator): number {
    const i32 = this.#i32;
    const h = hash | 0;
    let slot = this.buckets[hash & this.#mask]!;
    while (slot !== NONE) {
      const row = slot * ROW_I32;
      const offsetKey = i32[row + I_OFFSET_KEY]!;
      if (i32[row + I_HASH] === h && offsetKey >>> KEY_SHIFT === length) {
        const page = slab.pages[i32[row + I_PAGE]!]!;
        let at = offsetKey & OFFSET_MASK;
        let i = offset;
        const end = offset + length;
        while (i < end && page[at] === key[i]) {
          at++;
          i++;
        }
        if (i === end) return slot;
      }
      slot = i32[row + I_CHAIN]!;
    }
    return NONE;
  }

  /** Links `slot` (hash and key length already set) into its bucket; doubles buckets past load 1. */
  link(slot: number): void {
    const b = this.hash(slot) & this.#mask;
    this.#i32[slot * ROW_I32 + I_CHAIN] = this.buckets[b]!;
    this.buckets[b] = slot;
    this.count++;
    if (this.count > this.buckets.length) this.#rehash(this.buckets.length * 2);
  }

  unlink(slot: number): void {
    const i32 = this.#i32;
    const b = this.hash(slot) & this.#mask;
    const after = i32[slot * ROW_I32 + I_CHAIN]!;
    let at = this.buckets[b]!;
    if (at === slot) {
      this.buckets[b] = after;
    } else {
      while (at !== NONE) {
        const following = i32[at * ROW_I32 + I_CHAIN]!;
        if (following === slot) {
          i32[at * ROW_I32 + I_CHAIN] = after;
          break;
        }
        at = following;
      }
    }
    this.count--;
  }

  /** Drops every entry (flush); keeps the allocated rows. */
  clear(): void {
    this.buckets.fill(NONE);
    this.#i32.fill(0);
    this.#freeSlots.length = 0;
    this.highWater = 0;
    this.count = 0;
  }

  #grow(): void {
    const cap = Math.ceil(this.capacity * 1.5);
    this.capacity = cap;
    const rows = new ArrayBuffer(cap * ROW_BYTES);
    const f64 = new Float64Array(rows);
    f64.set(this.#f64);
    this.#f64 = f64;
    this.#i32 = new Int32Array(rows);
    this.#next = grown(this.#next, cap);
    this.#prev = grown(this.#prev, cap);
    this.partition = grown(this.partition, cap);
    this.partNext = grown(this.partNext, cap);
    this.partPrev = grown(this.partPrev, cap);
    this.onGrow?.(cap);
  }

  #rehash(bucketCount: number): void {
    this.buckets = new Int32Array(bucketCount).fill(NONE);
    this.#mask = bucketCount - 1;
    for (let slot = 0; slot < this.highWater; slot++) {
      if (this.keyLength(slot) === 0) continue;
      const b = this.hash(slot) & this.#mask;
      this.#i32[slot * ROW_I32 + I_CHAIN] = this.buckets[b]!;
      this.buckets[b] = slot;
    }
  }
}
