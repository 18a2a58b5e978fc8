/**
 * The byte-level store under CacheNode: one shard of storage, synchronous and single-threaded,
 * with keys and values as byte ranges (what the worker and the server have in hand).
 *
 * Layout (see slot-table.ts and slab-allocator.ts): a hash index over typed-array rows, key and
 * value bytes in slab pages. A node holding millions of items holds no JS object per item.
 *
 * Invariants after every public method: `bytesStored ≤ maxMemory`, where bytesStored is the sum
 * of key + value bytes of the stored items; every stored item is in exactly one hash chain, one
 * eviction order, one partition list, and in the expiry heap iff it has a TTL.
 */

import { InvalidArgumentError, NotNumericError, TooLargeError } from '../errors.js';
import type { CacheEntry, CacheStats, EvictionPolicy } from '../types.js';
import { CoarseClock } from './coarse-clock.js';
import { LfuOrder } from './eviction/lfu.js';
import { type EvictionOrder, newEvictionOrder } from './eviction/policy.js';
import { ExpiryHeap } from './expiry-heap.js';
import { copyBytes, entryCopy } from './item-copy.js';
import { hashKeyBytes } from './key-bytes.js';
import { applyDelta, isU64, parseU64 } from './numeric.js';
import { PartitionLists } from './partitions.js';
import { SlabAllocator } from './slab-allocator.js';
import { NONE, SlotTable } from './slot-table.js';
import {
  type CacheNodeOptions,
  DEFAULT_MAX_ITEM_BYTES,
  type StoreMode,
  type StoreResult,
} from './store-options.js';

export class ByteStore {
  readonly maxMemory: number;
  readonly policy: EvictionPolicy;
  readonly maxItemBytes: number;
  readonly defaultTtlMs: number;
  readonly #table: SlotTable;
  readonly #slab = new SlabAllocator();
  readonly #heap: ExpiryHeap;
  readonly #order: EvictionOrder;
  readonly #lfu: LfuOrder | undefined;
  readonly #partitions: PartitionLists;
  readonly #clock: CoarseClock;
  #hits = 0;
  #misses = 0;
  #evictions = 0;
  #expired = 0;
  #bytesStored = 0;
  #lastCas = 0;

  /**
   * @param maxMemory key + value bytes this node may hold (not counting its own overhead;
   *   `stats().physicalBytes` reports that).
   * @param policy which entry a full node gives up first.
   */
  constructor(maxMemory: number, policy: EvictionPolicy = 'lru', options: CacheNodeOptions = {}) {
    if (!Number.isSafeInteger(maxMemory) || maxMemory <= 0) {
      throw new InvalidArgumentError('maxMemory must be a positive integer');
    }
    this.maxMemory = maxMemory;
    this.policy = policy;
    this.maxItemBytes = options.maxItemBytes ?? DEFAULT_MAX_ITEM_BYTES;
    this.defaultTtlMs = options.defaultTtlMs ?? 0;
    if (!Number.isSafeInteger(this.maxItemBytes) || this.maxItemBytes <= 0) {
      throw new InvalidArgumentError('maxItemBytes must be a positive integer');
    }
    if (!Number.isFinite(this.defaultTtlMs) || this.defaultTtlMs < 0) {
      throw new InvalidArgumentError('defaultTtlMs must be a non-negative number');
    }
    this.#clock = new CoarseClock(
      options.clock ?? Date.now,
      options.clock ? 0 : (options.clockResolutionMs ?? 1),
    );
    this.#table = new SlotTable(
      options.initialCapacity ?? Math.min(Math.max(1024, Math.ceil(maxMemory / 128)), 1 << 24),
    );
    this.#heap = new ExpiryHeap(this.#table);
    this.#partitions = new PartitionLists(this.#table);
    this.#order = newEvictionOrder(policy, this.#table, this.#heap);
    this.#lfu = this.#order instanceof LfuOrder ? this.#order : undefined;
    this.#table.onGrow = (capacity) => {
      this.#heap.grow(capacity);
      this.#lfu?.grow(capacity);
    };
  }

  // ── byte API ──────────────────────────────────────────────────────────────────────────────

  /**
   * The slot holding `key[offset, offset + length)`, or -1 on a miss; counts one hit or miss and
   * records the access. The slot number is valid until the next call that modifies the node.
   * The key must be valid (the caller checked it); `hash` is `hashKeyBytes` of it.
   */
  lookup(
    key: Uint8Array,
    offset: number,
    length: number,
    hash = hashKeyBytes(key, offset, length),
  ): number {
    const slot = this.#findLive(hash, key, offset, length);
    if (slot === NONE) {
      this.#misses++;
      return NONE;
    }
    this.#hits++;
    const t = this.#table;
    t.countAccess(slot);
    t.setLastAccessedMs(slot, this.#clock.now());
    this.#order.access(slot);
    return slot;
  }

  /**
   * Like `lookup` but invisible: no hit or miss counted, no access recorded (migration and
   * inspection read through this). An expired item is reclaimed and reported missing.
   */
  peekBytes(
    key: Uint8Array,
    offset: number,
    length: number,
    hash = hashKeyBytes(key, offset, length),
  ): number {
    return this.#findLive(hash, key, offset, length);
  }

  /** TTL left on `slot` in ms (≥ 1), or 0 when it has no expiry. */
  remainingTtlMs(slot: number): number {
    const expiresAtMs = this.#table.expiresAtMs(slot);
    return expiresAtMs === 0 ? 0 : Math.max(1, expiresAtMs - this.#clock.now());
  }

  /** CAS unique of `slot` as a float64-exact integer (no BigInt). */
  casNumberOf(slot: number): number {
    return this.#table.cas(slot);
  }

  /** Files `slot` under another partition (a migration re-homing keys it keeps). */
  setPartition(slot: number, partition: number): void {
    if (this.#table.partition[slot] === partition) return;
    this.#partitions.remove(slot);
    this.#partitions.add(slot, partition);
  }

  valueLength(slot: number): number {
    return this.#table.valueLength(slot);
  }

  flagsOf(slot: number): number {
    return this.#table.flags(slot);
  }

  casOf(slot: number): bigint {
    return BigInt(this.#table.cas(slot));
  }

  /** A view of the value of `slot`, valid until the node is next modified (see `getValue`). */
  valueView(slot: number): Uint8Array {
    const t = this.#table;
    const page = this.#slab.pages[t.page(slot)]!;
    // a plain constructor call: `subarray` looks up the species constructor (~1.5× the cost)
    const start = page.byteOffset + t.offset(slot) + t.keyLength(slot);
    return new Uint8Array(page.buffer, start, t.valueLength(slot));
  }

  /** Copies the value of `slot` into `out` at `outOffset`; returns the bytes copied. */
  copyValue(slot: number, out: Uint8Array, outOffset: number): number {
    const t = this.#table;
    const page = this.#slab.pages[t.page(slot)]!;
    const start = t.offset(slot) + t.keyLength(slot);
    const length = t.valueLength(slot);
    copyBytes(page, start, length, out, outOffset);
    return length;
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
    hash = hashKeyBytes(key, keyOffset, keyLength),
  ): StoreResult {
    const existing = this.#findLive(hash, key, keyOffset, keyLength);
    const t = this.#table;
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
    if (valueLength > this.maxItemBytes || keyLength + valueLength > this.maxMemory) {
      // memcached drops the old value of a too-large `set`, so that it is not served stale
      if (existing !== NONE && mode === 'set') this.#remove(existing);
      throw new TooLargeError();
    }
    const expiresAtMs = this.#expiryFor(ttlMs);
    if (existing !== NONE) {
      if (expiresAtMs >= 0 && this.#canOverwrite(existing, keyLength + valueLength)) {
        this.#overwrite(existing, value, valueOffset, valueLength, flags, expiresAtMs, partition);
        return 'stored';
      }
      this.#remove(existing);
    }
    if (expiresAtMs < 0) return 'stored';
    this.#insert(
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

  deleteBytes(
    key: Uint8Array,
    offset: number,
    length: number,
    hash = hashKeyBytes(key, offset, length),
  ): boolean {
    const slot = this.#findLive(hash, key, offset, length);
    if (slot === NONE) return false;
    this.#remove(slot);
    return true;
  }

  /** incr (`isIncrement`) or decr by an unsigned `delta`. See `incr`. */
  incrBytes(
    key: Uint8Array,
    offset: number,
    length: number,
    delta: bigint,
    isIncrement: boolean,
    hash = hashKeyBytes(key, offset, length),
  ): bigint | undefined {
    if (!isU64(delta)) throw new InvalidArgumentError('invalid numeric delta argument');
    const slot = this.#findLive(hash, key, offset, length);
    if (slot === NONE) return undefined;
    const t = this.#table;
    const page = this.#slab.pages[t.page(slot)]!;
    const valueStart = t.offset(slot) + t.keyLength(slot);
    const current = parseU64(page, valueStart, t.valueLength(slot));
    if (current === undefined) throw new NotNumericError();
    const next = applyDelta(current, delta, isIncrement);
    const digits = Buffer.from(next.toString(), 'latin1');
    const keyLength = t.keyLength(slot);
    if (digits.length === t.valueLength(slot)) {
      // same length: rewrite in place, keeping the item's position and partition
      page.set(digits, valueStart);
      t.setCas(slot, ++this.#lastCas);
      return next;
    }
    // a new length needs a new chunk: re-store with the same flags, expiry and partition.
    // Refused first if it could never fit, or #makeRoom would empty the node and overfill it.
    if (digits.length > this.maxItemBytes || keyLength + digits.length > this.maxMemory) {
      throw new TooLargeError();
    }
    const keyCopy = page.slice(valueStart - keyLength, valueStart);
    const flags = t.flags(slot);
    const expiresAtMs = t.expiresAtMs(slot);
    const partition = t.partition[slot]!;
    this.#remove(slot);
    this.#insert(
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

  touchBytes(
    key: Uint8Array,
    offset: number,
    length: number,
    ttlMs: number,
    hash = hashKeyBytes(key, offset, length),
  ): boolean {
    const slot = this.#findLive(hash, key, offset, length);
    if (slot === NONE) return false;
    const expiresAtMs = this.#expiryFor(ttlMs);
    if (expiresAtMs < 0) {
      this.#remove(slot);
      return true;
    }
    this.#table.setExpiresAtMs(slot, expiresAtMs);
    if (expiresAtMs === 0) this.#heap.remove(slot);
    else this.#heap.upsert(slot);
    return true;
  }

  // ── expiry, partitions, stats ─────────────────────────────────────────────────────────────

  /**
   * Reclaims at most `maxEntries` expired items, soonest-expired first, and returns how many.
   * Bounded work: a worker calls it on a timer so expired items go without being accessed.
   */
  sweepExpired(maxEntries = 64): number {
    if (this.#heap.size === 0) return 0;
    const now = this.#clock.now();
    let reclaimed = 0;
    while (reclaimed < maxEntries) {
      const slot = this.#heap.peek();
      if (slot === NONE || this.#table.expiresAtMs(slot) > now) break;
      this.#remove(slot);
      this.#expired++;
      reclaimed++;
    }
    return reclaimed;
  }

  /** Reclaims every expired item; returns how many. O(k log n) for k expired items. */
  cleanExpired(): number {
    return this.sweepExpired(Number.POSITIVE_INFINITY);
  }

  /** Drops every item (memcached's flush_all). Counters other than sizes are kept. */
  flush(): void {
    this.#table.clear();
    this.#slab.reset();
    this.#heap.clear();
    this.#order.clear();
    this.#partitions.clear();
    this.#bytesStored = 0;
  }

  /** Ids of the partitions that hold at least one item. */
  partitionIds(): number[] {
    return this.#partitions.ids();
  }

  /** Copies of the keys filed under `partition` (expired ones included until reclaimed). */
  partitionKeys(partition: number): Uint8Array[] {
    const keys: Uint8Array[] = [];
    const t = this.#table;
    for (let slot = this.#partitions.first(partition); slot !== NONE; slot = t.partNext[slot]!) {
      const page = this.#slab.pages[t.page(slot)]!;
      const start = t.offset(slot);
      keys.push(page.slice(start, start + t.keyLength(slot)));
    }
    return keys;
  }

  /** Removes every item of `partition` (a migration handing it away); returns how many. */
  dropPartition(partition: number): number {
    let dropped = 0;
    for (
      let slot = this.#partitions.first(partition);
      slot !== NONE;
      slot = this.#partitions.first(partition)
    ) {
      this.#remove(slot);
      dropped++;
    }
    return dropped;
  }

  stats(): CacheStats {
    return {
      hits: this.#hits,
      misses: this.#misses,
      evictions: this.#evictions,
      expired: this.#expired,
      bytesStored: this.#bytesStored,
      entryCount: this.#table.count,
      physicalBytes:
        this.#slab.physicalBytes +
        this.#table.physicalBytes +
        this.#heap.physicalBytes +
        (this.#lfu?.physicalBytes ?? 0),
    };
  }

  // ── internals ─────────────────────────────────────────────────────────────────────────────

  /** Absolute expiry for a TTL: 0 for none, -1 for already expired. */
  #expiryFor(ttlMs: number): number {
    const ttl = ttlMs === 0 ? this.defaultTtlMs : ttlMs;
    if (ttl === 0) return 0;
    if (ttl < 0) return -1;
    return this.#clock.now() + ttl;
  }

  /** Like `find`, but an expired item is reclaimed (counted once) and reported missing. */
  #findLive(hash: number, key: Uint8Array, offset: number, length: number): number {
    const slot = this.#table.find(hash, key, offset, length, this.#slab);
    if (slot === NONE) return NONE;
    const expiresAtMs = this.#table.expiresAtMs(slot);
    if (expiresAtMs !== 0 && expiresAtMs <= this.#clock.now()) {
      this.#remove(slot);
      this.#expired++;
      return NONE;
    }
    return slot;
  }

  #insert(
    hash: number,
    key: Uint8Array,
    keyOffset: number,
    keyLength: number,
    value: Uint8Array,
    valueOffset: number,
    valueLength: number,
    flags: number,
    expiresAtMs: number,
    partition: number,
  ): void {
    const itemBytes = keyLength + valueLength;
    this.#makeRoom(itemBytes);
    const pageNumber = this.#slab.alloc(itemBytes);
    const at = this.#slab.allocatedOffset;
    const page = this.#slab.pages[pageNumber]!;
    copyBytes(key, keyOffset, keyLength, page, at);
    copyBytes(value, valueOffset, valueLength, page, at + keyLength);
    const t = this.#table;
    const slot = t.allocate();
    const now = this.#clock.now();
    t.setHash(slot, hash);
    t.setChunk(slot, pageNumber, at, keyLength);
    t.setValueLength(slot, valueLength);
    t.setFlags(slot, flags);
    t.setCas(slot, ++this.#lastCas);
    t.setExpiresAtMs(slot, expiresAtMs);
    t.setCreatedAtMs(slot, now);
    t.setLastAccessedMs(slot, now);
    t.setAccessCount(slot, 0);
    t.link(slot);
    this.#order.insert(slot);
    this.#partitions.add(slot, partition < 0 ? hash >>> 24 : partition);
    if (expiresAtMs !== 0) this.#heap.upsert(slot);
    this.#bytesStored += itemBytes;
  }

  /** True when a new item of `itemBytes` can reuse `slot`'s chunk without any eviction. */
  #canOverwrite(slot: number, itemBytes: number): boolean {
    const t = this.#table;
    const oldBytes = t.keyLength(slot) + t.valueLength(slot);
    return (
      SlabAllocator.chunkBytes(oldBytes) === SlabAllocator.chunkBytes(itemBytes) &&
      this.#bytesStored - oldBytes + itemBytes <= this.maxMemory
    );
  }

  /**
   * Replaces the value of `slot` in its own chunk: the cheap path of a set over an existing key
   * (no unlink, no free and alloc). The item counts as new: fresh CAS, times and hit count, and
   * a new place in the eviction order.
   */
  #overwrite(
    slot: number,
    value: Uint8Array,
    valueOffset: number,
    valueLength: number,
    flags: number,
    expiresAtMs: number,
    partition: number,
  ): void {
    const t = this.#table;
    const keyLength = t.keyLength(slot);
    this.#bytesStored += valueLength - t.valueLength(slot);
    copyBytes(
      value,
      valueOffset,
      valueLength,
      this.#slab.pages[t.page(slot)]!,
      t.offset(slot) + keyLength,
    );
    const now = this.#clock.now();
    t.setValueLength(slot, valueLength);
    t.setFlags(slot, flags);
    t.setCas(slot, ++this.#lastCas);
    t.setCreatedAtMs(slot, now);
    t.setLastAccessedMs(slot, now);
    t.setAccessCount(slot, 0);
    this.#order.remove(slot);
    this.#order.insert(slot);
    const wanted = partition < 0 ? t.hash(slot) >>> 24 : partition;
    if (wanted !== t.partition[slot]) {
      this.#partitions.remove(slot);
      this.#partitions.add(slot, wanted);
    }
    const hadTtl = t.expiresAtMs(slot) !== 0;
    t.setExpiresAtMs(slot, expiresAtMs);
    if (expiresAtMs !== 0) this.#heap.upsert(slot);
    else if (hadTtl) this.#heap.remove(slot);
  }

  #remove(slot: number): void {
    const t = this.#table;
    const itemBytes = t.keyLength(slot) + t.valueLength(slot);
    t.unlink(slot);
    this.#order.remove(slot);
    this.#partitions.remove(slot);
    if (t.expiresAtMs(slot) !== 0) this.#heap.remove(slot);
    this.#slab.free(t.page(slot), t.offset(slot), itemBytes);
    t.release(slot);
    this.#bytesStored -= itemBytes;
  }

  /** Evicts by policy until `itemBytes` more fit; expired items go first and count as expired. */
  #makeRoom(itemBytes: number): void {
    while (this.#bytesStored + itemBytes > this.maxMemory) {
      const soonest = this.#heap.peek();
      if (soonest !== NONE && this.#table.expiresAtMs(soonest) <= this.#clock.now()) {
        this.#remove(soonest);
        this.#expired++;
        continue;
      }
      const victim = this.#order.victim();
      if (victim === NONE) return; // empty: cannot happen while itemBytes ≤ maxMemory
      this.#remove(victim);
      this.#evictions++;
    }
  }

  /** append/prepend: the old value and the new bytes joined, same flags, expiry and partition. */
  #concat(
    slot: number,
    mode: 'append' | 'prepend',
    value: Uint8Array,
    offset: number,
    length: number,
  ): StoreResult {
    const t = this.#table;
    const keyLength = t.keyLength(slot);
    const oldLength = t.valueLength(slot);
    const total = oldLength + length;
    if (total > this.maxItemBytes || keyLength + total > this.maxMemory) throw new TooLargeError();
    const page = this.#slab.pages[t.page(slot)]!;
    const at = t.offset(slot);
    const joined = new Uint8Array(keyLength + total);
    joined.set(page.subarray(at, at + keyLength), 0);
    const added = value.subarray(offset, offset + length);
    const old = page.subarray(at + keyLength, at + keyLength + oldLength);
    joined.set(mode === 'append' ? old : added, keyLength);
    joined.set(
      mode === 'append' ? added : old,
      keyLength + (mode === 'append' ? oldLength : length),
    );
    const hash = t.hash(slot);
    const flags = t.flags(slot);
    const expiresAt = t.expiresAtMs(slot);
    const partition = t.partition[slot]!;
    this.#remove(slot);
    this.#insert(hash, joined, 0, keyLength, joined, keyLength, total, flags, expiresAt, partition);
    return 'stored';
  }

  /** A copy of `slot` as a CacheEntry (what `CacheNode.get` hands out). */
  entryAt(slot: number): CacheEntry {
    return entryCopy(this.#table, this.#slab, slot);
  }
}
