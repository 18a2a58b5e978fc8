/**
 * The items of a node, named by slot number, and the hash index over them:
 *
 *   buckets[hash & mask] ─► chunk ─chain─► chunk ─chain─► -1      (chunk addresses)
 *   an item's chunk: a 48-byte header (item-header.ts), its key, its value
 *   columns by slot: chunk (its address; NONE when free), next, prev (eviction order),
 *   partition, partNext, partPrev
 *
 * A lookup reads its bucket and then one chunk, whose first line holds everything a read
 * needs next to the key, with the value right after: two dependent cache misses. (The first
 * layout kept the header in a row of its own: bucket → row → slab was three, and lookups at
 * 100k keys were ~20% slower.) The eviction links stay columns of their own: a hit relinks
 * three neighbours, and 8 bytes per slot stay in cache where whole chunks would not. Slot
 * numbers stay dense, so that the policies, the expiry heap and the partition lists keep plain
 * columns indexed by slot; a slot's chunk holds its slot number back.
 *
 * Every byte counts: 48 header bytes, 24 of columns and a 4-byte bucket put a node of 12-byte
 * keys and 100-byte values under memcached's bytes per item (192 B). So the key's hash is not
 * kept: chains compare lengths, then bytes; unlinking and rehashing hash the key again. Freed
 * slots go on a stack and are reused first; the columns are reserved up front (zeroed memory
 * the OS only commits when first written) and grow by 1.5× past that; the bucket array doubles
 * when items outnumber buckets, so chains stay short.
 */

import {
  casOf,
  createdAtOf,
  expiresAtOf,
  flagsOf,
  getI32,
  HEADER_BYTES,
  I_CHAIN,
  I_KEY_COUNT,
  I_SLOT,
  I_VALUE_LENGTH,
  initHeader,
  KEY_MASK,
  keyOffsetOf,
  lastAccessedOf,
  NONE,
  setCasOf,
  setExpiresAt,
  setI32,
} from './item-header.js';
import { hashKeyBytes } from './key-bytes.js';
import { PAGE_SHIFT, SlabAllocator, UNIT_MASK } from './slab-allocator.js';

export { HEADER_BYTES, MAX_ACCESS_COUNT, NONE } from './item-header.js';

/** Old buckets moved per link while the buckets double. */
const DRAIN_STEP = 4;
/** Column bytes per slot: chunk, next, prev, partition, partNext, partPrev. */
const SLOT_BYTES = 24;

type Column = Uint32Array | Int32Array;

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
  // chunk; the layout and its arithmetic are item-header.ts's.

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
    return keyOffsetOf(item);
  }
  /** Offset of the item's value in its page. */
  valueOffset(item: number): number {
    return this.keyOffset(item) + this.keyLength(item);
  }
  /** Absolute expiry, 0 for none. */
  expiresAtMs(item: number): number {
    return expiresAtOf(this.slab, item);
  }
  setExpiresAtMs(item: number, value: number): void {
    setExpiresAt(this.slab, item, value);
  }
  /** CAS unique as a float64 integer (exact below 2^53, which a node never reaches). */
  cas(item: number): number {
    return casOf(this.slab, item);
  }
  setCas(item: number, value: number): void {
    setCasOf(this.slab, item, value);
  }
  /** Creation time, to the second. */
  createdAtMs(item: number): number {
    return createdAtOf(this.slab, item);
  }
  lastAccessedMs(item: number): number {
    return lastAccessedOf(this.slab, item);
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
  /** memcached's 32-bit client flags. */
  flags(item: number): number {
    return flagsOf(this.slab, item);
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
    initHeader(this.slab, chunk, slot, keyLength, valueLength);
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
