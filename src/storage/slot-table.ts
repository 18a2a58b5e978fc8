/**
 * The items of a node, named by slot number, and the hash index over them:
 *
 *   buckets[hash & mask] ─► chunk ─chain─► chunk ─chain─► -1      (chunk addresses)
 *
 *   an item's chunk in a slab page (slab-allocator.ts), memcached-style: a 48-byte header, key, value
 *   ┌─────────────┬─────┬──────────────┬───────┬──────┬──────────┬───────────────────┬───────┬────────────┬─────┬───────┐
 *   │ expiresAtMs │ cas │ lastAccessed │ chain │ slot │ valueLen │ keyLen | accesses │ flags │ createdSec │ key │ value │
 *   └─────────────┴─────┴──────────────┴───────┴──────┴──────────┴───────────────────┴───────┴────────────┴─────┴───────┘
 *   columns by slot: chunk (its address; NONE when free), next, prev (eviction order),
 *   partition, partNext, partPrev
 *
 * A lookup reads its bucket and then one chunk, whose first line holds everything a read
 * needs (lengths, expiry, flags, CAS) next to the key, with the value right after: two
 * dependent cache misses. (The first layout kept the header in a row of its own: bucket → row
 * → slab was three, and lookups at 100k keys were ~20% slower.) The eviction links stay
 * columns of their own: a hit relinks three neighbours, and 8 bytes per slot stay in cache where
 * whole chunks would not. Slot numbers stay dense, so that the policies, the expiry heap and the
 * partition lists keep plain columns indexed by slot; a slot's chunk holds its slot number back.
 *
 * Every byte of the header counts: 48 header bytes, 24 of columns and a 4-byte bucket put a node
 * of 12-byte keys and 100-byte values under memcached's bytes per item (192 B). So the key's
 * hash is not kept (chains compare lengths, then bytes; unlinking and rehashing hash the key
 * again), the key length (≤ 250) shares a word with a 24-bit saturating access count, and the
 * creation time is kept in whole seconds (like memcached's item time). Freed slots go on a stack
 * and are reused first; the columns are reserved up front (zeroed memory the OS only commits
 * when first written) and grow by 1.5× past that; the bucket array doubles when items outnumber
 * buckets, so chains stay short.
 */

import type { CacheEntry } from '../types.js';
import { hashKeyBytes } from './key-bytes.js';
import { PAGE_SHIFT, SlabAllocator, UNIT_MASK } from './slab-allocator.js';

export const NONE = -1;

/** Bytes before an item's key in its chunk. */
export const HEADER_BYTES = 48;
// Header fields: float64 fields in units of 8 bytes, int32 fields in units of 4 bytes.
const F_EXPIRES = 0;
const F_CAS = 1;
const F_ACCESSED = 2;
const I_CHAIN = 6;
const I_SLOT = 7;
const I_VALUE_LENGTH = 8;
/** key length (≤ 250) in the low byte, the access count above it */
const I_KEY_COUNT = 9;
const I_FLAGS = 10;
const I_CREATED_SEC = 11;
const KEY_MASK = 0xff;
const COUNT_ONE = 1 << 8;
/** The access count saturates here: 24 bits. */
export const MAX_ACCESS_COUNT = 0xffffff;
/** Old buckets moved per link while the buckets double. */
const DRAIN_STEP = 4;
/** Column bytes per slot: chunk, next, prev, partition, partNext, partPrev. */
const SLOT_BYTES = 24;

type Column = Uint32Array | Int32Array;

// An item's header fields, read in place: int32 fields in its page's words, float64 fields in
// its page's doubles (a chunk address counts 8-byte units, so it indexes doubles directly).
function getI32(slab: SlabAllocator, item: number, field: number): number {
  return slab.words[item >>> PAGE_SHIFT]![((item & UNIT_MASK) << 1) + field]!;
}
function setI32(slab: SlabAllocator, item: number, field: number, value: number): void {
  slab.words[item >>> PAGE_SHIFT]![((item & UNIT_MASK) << 1) + field] = value;
}
function getF64(slab: SlabAllocator, item: number, field: number): number {
  return slab.doubles[item >>> PAGE_SHIFT]![(item & UNIT_MASK) + field]!;
}
function setF64(slab: SlabAllocator, item: number, field: number, value: number): void {
  slab.doubles[item >>> PAGE_SHIFT]![(item & UNIT_MASK) + field] = value;
}

function grown<T extends Column>(column: T, capacity: number): T {
  const next = new (column.constructor as new (n: number) => T)(capacity);
  next.set(column);
  return next;
}

export class SlotTable {
  capacity: number;
  readonly slab: SlabAllocator;
  #chunk: Int32Array;
  #next: Int32Array;
  #prev: Int32Array;
  partition: Uint32Array;
  partNext: Int32Array;
  partPrev: Int32Array;

  buckets: Int32Array;
  #mask: number;
  /** The bucket array being drained into `buckets` while they double (see #startRehash). */
  #old: Int32Array | undefined;
  #oldMask = 0;
  /** Old buckets below this have been moved. */
  #drained = 0;
  readonly #freeSlots: number[] = [];
  /** Slots below this have been handed out at least once. */
  highWater = 0;
  count = 0;
  /** Called after the columns grew, so that policy-owned columns can follow. */
  onGrow: ((capacity: number) => void) | undefined;

  constructor(initialCapacity: number, slab = new SlabAllocator()) {
    const cap = Math.max(16, initialCapacity);
    this.capacity = cap;
    this.slab = slab;
    this.#chunk = new Int32Array(cap);
    this.#next = new Int32Array(cap);
    this.#prev = new Int32Array(cap);
    this.partition = new Uint32Array(cap);
    this.partNext = new Int32Array(cap);
    this.partPrev = new Int32Array(cap);
    // Buckets follow the item count, not the capacity: filling them touches every page, while
    // reserved but unused columns cost no resident memory.
    this.buckets = new Int32Array(1024).fill(NONE);
    this.#mask = 1023;
  }

  // Header accessors take an item (its chunk address), so that a read goes straight to the
  // chunk; the arithmetic lives in the module functions below (getI32 …), which V8 inlines.

  /** The item held by `slot`. */
  itemOf(slot: number): number {
    return this.#chunk[slot]!;
  }
  /** The slot of `item` (what the eviction order, the heap and the partitions link). */
  slotOf(item: number): number {
    return getI32(this.slab, item, I_SLOT);
  }
  /** The page holding the item's bytes (key at `keyOffset`, then the value). */
  bytesOf(item: number): Uint8Array {
    return this.slab.pages[item >>> PAGE_SHIFT]!;
  }
  /** The same page as a DataView (word-wide copies). */
  viewOf(item: number): DataView {
    return this.slab.views[item >>> PAGE_SHIFT]!;
  }
  /** Offset of the item's key in its page. */
  keyOffset(item: number): number {
    return ((item & UNIT_MASK) << 3) + HEADER_BYTES;
  }
  /** Offset of the item's value in its page. */
  valueOffset(item: number): number {
    return this.keyOffset(item) + this.keyLength(item);
  }
  /** Absolute expiry, 0 for none. */
  expiresAtMs(item: number): number {
    return getF64(this.slab, item, F_EXPIRES);
  }
  setExpiresAtMs(item: number, value: number): void {
    setF64(this.slab, item, F_EXPIRES, value);
  }
  /** CAS unique as a float64 integer (exact below 2^53, which a node never reaches). */
  cas(item: number): number {
    return getF64(this.slab, item, F_CAS);
  }
  setCas(item: number, value: number): void {
    setF64(this.slab, item, F_CAS, value);
  }
  /** Creation time, to the second. */
  createdAtMs(item: number): number {
    return (getI32(this.slab, item, I_CREATED_SEC) >>> 0) * 1000;
  }
  lastAccessedMs(item: number): number {
    return getF64(this.slab, item, F_ACCESSED);
  }
  /** The hash-table hash of the item's key (computed again: the header does not keep it). */
  hash(item: number): number {
    return hashKeyBytes(this.bytesOf(item), this.keyOffset(item), this.keyLength(item));
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
  keyLength(item: number): number {
    return getI32(this.slab, item, I_KEY_COUNT) & KEY_MASK;
  }
  valueLength(item: number): number {
    return getI32(this.slab, item, I_VALUE_LENGTH);
  }
  /** A new value length; the item must still fit its chunk (see `fitsInPlace`). */
  setValueLength(item: number, value: number): void {
    setI32(this.slab, item, I_VALUE_LENGTH, value);
  }
  accessCount(item: number): number {
    return getI32(this.slab, item, I_KEY_COUNT) >>> 8;
  }
  /**
   * A read of `item` at `nowMs`, the hot path of every get: when the item has not expired,
   * counts the access (saturating at MAX_ACCESS_COUNT), records its time and returns its slot;
   * an expired item is left as it is and NONE returned. The header is fetched once for all of
   * it: through the accessors, the same work cost a get ~10% more.
   */
  hit(item: number, nowMs: number): number {
    const page = item >>> PAGE_SHIFT;
    const words = this.slab.words[page]!;
    const doubles = this.slab.doubles[page]!;
    const at = (item & UNIT_MASK) << 1;
    const expiresAtMs = doubles[(at >> 1) + F_EXPIRES]!;
    if (expiresAtMs !== 0 && expiresAtMs <= nowMs) return NONE;
    const keyCount = words[at + I_KEY_COUNT]!;
    if (keyCount >>> 8 < MAX_ACCESS_COUNT) words[at + I_KEY_COUNT] = keyCount + COUNT_ONE;
    doubles[(at >> 1) + F_ACCESSED] = nowMs;
    return words[at + I_SLOT]!;
  }
  /**
   * Stamps a just-stored item: its flags, CAS and expiry, creation and access times `nowMs`,
   * and no hits yet. One header fetch for all of it: as separate setters, the calls outran
   * V8's inlining budget in a store and each cost a call.
   */
  stamp(item: number, flags: number, cas: number, expiresAtMs: number, nowMs: number): void {
    const page = item >>> PAGE_SHIFT;
    const words = this.slab.words[page]!;
    const doubles = this.slab.doubles[page]!;
    const at = (item & UNIT_MASK) << 1;
    words[at + I_FLAGS] = flags;
    words[at + I_CREATED_SEC] = Math.floor(nowMs / 1000);
    words[at + I_KEY_COUNT] = words[at + I_KEY_COUNT]! & KEY_MASK;
    doubles[(at >> 1) + F_CAS] = cas;
    doubles[(at >> 1) + F_EXPIRES] = expiresAtMs;
    doubles[(at >> 1) + F_ACCESSED] = nowMs;
  }
  /** `item` as a CacheEntry around `value` (a copy of its value), from one header fetch. */
  entryWith(item: number, value: Uint8Array): CacheEntry {
    const page = item >>> PAGE_SHIFT;
    const words = this.slab.words[page]!;
    const doubles = this.slab.doubles[page]!;
    const at = (item & UNIT_MASK) << 1;
    const expiresAtMs = doubles[(at >> 1) + F_EXPIRES]!;
    return {
      value,
      flags: words[at + I_FLAGS]! >>> 0,
      cas: BigInt(doubles[(at >> 1) + F_CAS]!),
      createdAtMs: (words[at + I_CREATED_SEC]! >>> 0) * 1000,
      expiresAtMs: expiresAtMs === 0 ? undefined : expiresAtMs,
      lastAccessedMs: doubles[(at >> 1) + F_ACCESSED]!,
      accessCount: words[at + I_KEY_COUNT]! >>> 8,
    };
  }

  /** memcached's 32-bit client flags. */
  flags(item: number): number {
    return getI32(this.slab, item, I_FLAGS) >>> 0;
  }

  /**
   * True when `item` can give way to an item of `itemBytes` (key + value) without the slab
   * running out: the new one fits the chunk the old one frees, or the slab has room anyway.
   */
  canReplace(item: number, itemBytes: number): boolean {
    const held = HEADER_BYTES + this.keyLength(item) + this.valueLength(item);
    const wanted = HEADER_BYTES + itemBytes;
    return SlabAllocator.sameClass(held, wanted) || this.slab.hasRoomFor(wanted);
  }

  /** True when key and value of `itemBytes` in total fit the chunk `item` already has. */
  fitsInPlace(item: number, itemBytes: number): boolean {
    const held = HEADER_BYTES + this.keyLength(item) + this.valueLength(item);
    return SlabAllocator.chunkBytes(held) === SlabAllocator.chunkBytes(HEADER_BYTES + itemBytes);
  }

  /**
   * Bytes the columns, the buckets and the free-slot stack occupy: slots ever handed out
   * (reserved columns past them are never written, so the OS never commits them) plus the
   * bucket array. Chunks (headers included) are the slab's.
   */
  get physicalBytes(): number {
    const buckets = this.buckets.length + (this.#old?.length ?? 0);
    return this.highWater * SLOT_BYTES + buckets * 4 + this.#freeSlots.length * 8;
  }

  /**
   * A new item: a chunk for its header, key and value, and a slot; grows the columns when full.
   * Returns the item; its lengths and slot are set, every other field is garbage until set.
   */
  allocate(keyLength = 0, valueLength = 0): number {
    const chunk = this.slab.alloc(HEADER_BYTES + keyLength + valueLength);
    let slot = this.#freeSlots.pop();
    if (slot === undefined) {
      if (this.highWater === this.capacity) this.#grow();
      slot = this.highWater++;
    }
    this.#chunk[slot] = chunk;
    const words = this.slab.words[chunk >>> PAGE_SHIFT]!;
    const at = (chunk & UNIT_MASK) << 1;
    words[at + I_SLOT] = slot;
    words[at + I_KEY_COUNT] = keyLength;
    words[at + I_VALUE_LENGTH] = valueLength;
    return chunk;
  }

  /** Frees `item`'s chunk and slot (it must be unlinked from its bucket first). */
  release(item: number): void {
    const slot = this.slotOf(item);
    this.slab.free(item, HEADER_BYTES + this.keyLength(item) + this.valueLength(item));
    this.#chunk[slot] = NONE;
    this.#freeSlots.push(slot);
  }

  /**
   * The item whose key equals `key[offset, offset + length)` with hash `hash`, or NONE.
   * Compares the length before any byte.
   */
  find(hash: number, key: Uint8Array, offset: number, length: number): number {
    const slab = this.slab;
    let chunk = this.#isInOld(hash)
      ? this.#old![hash & this.#oldMask]!
      : this.buckets[hash & this.#mask]!;
    while (chunk !== NONE) {
      const page = chunk >>> PAGE_SHIFT;
      const words = slab.words[page]!;
      const at = (chunk & UNIT_MASK) << 1;
      if ((words[at + I_KEY_COUNT]! & KEY_MASK) === length) {
        const bytes = slab.pages[page]!;
        let b = (at << 2) + HEADER_BYTES;
        let i = offset;
        const end = offset + length;
        while (i < end && bytes[b] === key[i]) {
          b++;
          i++;
        }
        if (i === end) return chunk;
      }
      chunk = words[at + I_CHAIN]!;
    }
    return NONE;
  }

  /**
   * Links `item` (key already set; `hash` is its hash) into its bucket. Past load 1 the buckets
   * double, incrementally: see `#drain`.
   */
  link(item: number, hash: number): void {
    const buckets = this.#bucketsOf(hash);
    const b = this.#bucketOf(hash);
    setI32(this.slab, item, I_CHAIN, buckets[b]!);
    buckets[b] = item;
    this.count++;
    if (this.#old !== undefined) this.#drain(DRAIN_STEP);
    else if (this.count > this.buckets.length) this.#startRehash();
  }

  /** Keeps a doubling moving when only deletes come (links drive it otherwise). */
  #drainOnUnlink(): void {
    if (this.#old !== undefined) this.#drain(DRAIN_STEP);
  }

  unlink(item: number): void {
    const slab = this.slab;
    const chunk = item;
    const hash = this.hash(item);
    const buckets = this.#bucketsOf(hash);
    const b = this.#bucketOf(hash);
    const after = getI32(this.slab, item, I_CHAIN);
    let at = buckets[b]!;
    if (at === chunk) {
      buckets[b] = after;
    } else {
      while (at !== NONE) {
        const words = slab.words[at >>> PAGE_SHIFT]!;
        const field = ((at & UNIT_MASK) << 1) + I_CHAIN;
        const following = words[field]!;
        if (following === chunk) {
          words[field] = after;
          break;
        }
        at = following;
      }
    }
    this.count--;
    this.#drainOnUnlink();
  }

  /** Drops every item (flush) and every chunk; keeps the columns. */
  clear(): void {
    this.buckets.fill(NONE);
    this.#old = undefined;
    this.#chunk.fill(NONE, 0, this.highWater);
    this.slab.reset();
    this.#freeSlots.length = 0;
    this.highWater = 0;
    this.count = 0;
  }

  #grow(): void {
    const cap = Math.ceil(this.capacity * 1.5);
    this.capacity = cap;
    this.#chunk = grown(this.#chunk, cap);
    this.#next = grown(this.#next, cap);
    this.#prev = grown(this.#prev, cap);
    this.partition = grown(this.partition, cap);
    this.partNext = grown(this.partNext, cap);
    this.partPrev = grown(this.partPrev, cap);
    this.onGrow?.(cap);
  }

  // While the buckets double, a key lives in the old array if its old bucket is not drained
  // yet, else in the new one; find, link and unlink all follow that rule.
  #isInOld(hash: number): boolean {
    return this.#old !== undefined && (hash & this.#oldMask) >= this.#drained;
  }
  #bucketsOf(hash: number): Int32Array {
    return this.#isInOld(hash) ? this.#old! : this.buckets;
  }
  #bucketOf(hash: number): number {
    return this.#isInOld(hash) ? hash & this.#oldMask : hash & this.#mask;
  }

  /**
   * Doubles the buckets incrementally, as Redis does: rehashing a million items at once took
   * ~50 ms (each key is hashed again: the header does not keep it), a stall for every request
   * on the node. The new array takes new links; every link then moves DRAIN_STEP old buckets
   * (about as many items, load ≤ 1) until the old array is empty. Inserts add one item per
   * link, so the old array is drained long before the new one is full.
   */
  #startRehash(): void {
    this.#old = this.buckets;
    this.#oldMask = this.#mask;
    this.#drained = 0;
    this.buckets = new Int32Array(this.buckets.length * 2).fill(NONE);
    this.#mask = this.buckets.length - 1;
    this.#drain(DRAIN_STEP);
  }

  /** Moves the chains of up to `steps` old buckets into the new array. */
  #drain(steps: number): void {
    const old = this.#old!;
    const buckets = this.buckets;
    const mask = this.#mask;
    const end = Math.min(old.length, this.#drained + steps);
    for (let b = this.#drained; b < end; b++) {
      let item = old[b]!;
      while (item !== NONE) {
        const next = getI32(this.slab, item, I_CHAIN);
        const nb = this.hash(item) & mask;
        setI32(this.slab, item, I_CHAIN, buckets[nb]!);
        buckets[nb] = item;
        item = next;
      }
    }
    this.#drained = end;
    if (end === old.length) this.#old = undefined;
  }
}
