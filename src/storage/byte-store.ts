/**
 * The byte-level store under CacheNode: one shard of storage, synchronous and single-threaded,
 * with keys and values as byte ranges (what the worker and the server have in hand).
 *
 * Layout (see item-table.ts and slab-allocator.ts): a hash index over typed-array rows, key and
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
import { copyBytes, entryCopy, ValuePool, WordCopier } from './item-copy.js';
import { hashKeyBytes } from './key-bytes.js';
import { applyDelta, isU64, parseU64 } from './numeric.js';
import { PartitionLists } from './partitions.js';
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
  readonly #heap: ExpiryHeap;
  readonly #order: EvictionOrder;
  readonly #lfu: LfuOrder | undefined;
  readonly #partitions: PartitionLists;
  readonly #clock: CoarseClock;
  readonly #copier = new WordCopier();
  readonly #values = new ValuePool();
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
    const table = this.#table;
    this.#heap = new ExpiryHeap(table, (slot) => table.expiresAtMs(table.itemOf(slot)));
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
   * The item holding `key[offset, offset + length)`, or -1 on a miss; counts one hit or miss and
   * records the access. The item number is valid until the next call that modifies the node.
   * The key must be valid (the caller checked it).
   */
  lookup(key: Uint8Array, offset: number, length: number): number {
    const hash = hashKeyBytes(key, offset, length);
    const item = this.#findLive(hash, key, offset, length);
    if (item === NONE) {
      this.#misses++;
      return NONE;
    }
    this.#hits++;
    const t = this.#table;
    t.recordAccess(item, this.#clock.now());
    this.#order.access(t.slotOf(item));
    return item;
  }

  /**
   * Like `lookup` but invisible: no hit or miss counted, no access recorded (migration and
   * inspection read through this). An expired item is reclaimed and reported missing.
   */
  peekBytes(key: Uint8Array, offset: number, length: number): number {
    const hash = hashKeyBytes(key, offset, length);
    return this.#findLive(hash, key, offset, length);
  }

  /** TTL left on `item` in ms (≥ 1), or 0 when it has no expiry. */
  remainingTtlMs(item: number): number {
    const expiresAtMs = this.#table.expiresAtMs(item);
    return expiresAtMs === 0 ? 0 : Math.max(1, expiresAtMs - this.#clock.now());
  }

  /** CAS unique of `item` as a float64-exact integer (no BigInt). */
  casNumberOf(item: number): number {
    return this.#table.cas(item);
  }

  /** Files `item` under another partition (a migration re-homing keys it keeps). */
  setPartition(item: number, partition: number): void {
    const slot = this.#table.slotOf(item);
    if (this.#table.partition[slot] === partition) return;
    this.#partitions.remove(slot);
    this.#partitions.add(slot, partition);
  }

  valueLength(item: number): number {
    return this.#table.valueLength(item);
  }

  flagsOf(item: number): number {
    return this.#table.flags(item);
  }

  casOf(item: number): bigint {
    return BigInt(this.#table.cas(item));
  }

  /** A view of the value of `item`, valid until the node is next modified (see `getValue`). */
  valueView(item: number): Uint8Array {
    const t = this.#table;
    // a plain constructor call: `subarray` looks up the species constructor (~1.5× the cost)
    return new Uint8Array(t.bytesOf(item).buffer, t.valueOffset(item), t.valueLength(item));
  }

  /** Copies the value of `item` into `out` at `outOffset`; returns the bytes copied. */
  copyValue(item: number, out: Uint8Array, outOffset: number): number {
    return this.#copier.copyOut(this.#table, item, out, outOffset);
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
    const hash = hashKeyBytes(key, keyOffset, keyLength);
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
        this.#overwrite(
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

  deleteBytes(key: Uint8Array, offset: number, length: number): boolean {
    const hash = hashKeyBytes(key, offset, length);
    const item = this.#findLive(hash, key, offset, length);
    if (item === NONE) return false;
    this.#remove(item);
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
    const item = this.#findLive(hash, key, offset, length);
    if (item === NONE) return undefined;
    const t = this.#table;
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
      t.setCas(item, ++this.#lastCas);
      return next;
    }
    // a new length needs a new chunk: re-store with the same flags, expiry and partition.
    // Refused first if it could never fit, or #makeRoom would empty the node and overfill it.
    if (digits.length > this.maxItemBytes || keyLength + digits.length > this.maxMemory) {
      throw new TooLargeError();
    }
    const keyCopy = page.slice(valueStart - keyLength, valueStart);
    const flags = t.flags(item);
    const expiresAtMs = t.expiresAtMs(item);
    const partition = t.partition[t.slotOf(item)]!;
    this.#remove(item);
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

  touchBytes(key: Uint8Array, offset: number, length: number, ttlMs: number): boolean {
    const hash = hashKeyBytes(key, offset, length);
    const item = this.#findLive(hash, key, offset, length);
    if (item === NONE) return false;
    const expiresAtMs = this.#expiryFor(ttlMs);
    if (expiresAtMs < 0) {
      this.#remove(item);
      return true;
    }
    const t = this.#table;
    t.setExpiresAtMs(item, expiresAtMs);
    if (expiresAtMs === 0) this.#heap.remove(t.slotOf(item));
    else this.#heap.upsert(t.slotOf(item), expiresAtMs);
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
      if (this.#heap.size === 0 || this.#heap.peekExpiresAtMs() > now) break;
      this.#remove(this.#table.itemOf(this.#heap.peek()));
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
      const item = t.itemOf(slot);
      const start = t.keyOffset(item);
      keys.push(t.bytesOf(item).slice(start, start + t.keyLength(item)));
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
      this.#remove(this.#table.itemOf(slot));
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
        this.#table.slab.physicalBytes +
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
    const item = this.#table.find(hash, key, offset, length);
    if (item === NONE) return NONE;
    const expiresAtMs = this.#table.expiresAtMs(item);
    if (expiresAtMs !== 0 && expiresAtMs <= this.#clock.now()) {
      this.#remove(item);
      this.#expired++;
      return NONE;
    }
    return item;
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
    const t = this.#table;
    const item = t.allocate(keyLength, valueLength);
    const page = t.bytesOf(item);
    const at = t.keyOffset(item);
    copyBytes(key, keyOffset, keyLength, page, at);
    this.#copier.copyIn(value, valueOffset, valueLength, t, item, at + keyLength);
    const now = this.#clock.now();
    t.setFlags(item, flags);
    t.setCas(item, ++this.#lastCas);
    t.setExpiresAtMs(item, expiresAtMs);
    t.setCreatedAtMs(item, now);
    t.setLastAccessedMs(item, now);
    t.link(item, hash);
    const slot = t.slotOf(item);
    this.#order.insert(slot);
    this.#partitions.add(slot, partition < 0 ? hash >>> 24 : partition);
    if (expiresAtMs !== 0) this.#heap.upsert(slot, expiresAtMs);
    this.#bytesStored += itemBytes;
  }

  /** True when a new item of `itemBytes` can reuse `item`'s chunk without any eviction. */
  #canOverwrite(item: number, itemBytes: number): boolean {
    const t = this.#table;
    const oldBytes = t.keyLength(item) + t.valueLength(item);
    return (
      t.fitsInPlace(item, itemBytes) && this.#bytesStored - oldBytes + itemBytes <= this.maxMemory
    );
  }

  /**
   * Replaces the value of `item` in its own chunk: the cheap path of a set over an existing key
   * (no unlink, no free and alloc). The item counts as new: fresh CAS, times and hit count, and
   * a new place in the eviction order.
   */
  #overwrite(
    item: number,
    hash: number,
    value: Uint8Array,
    valueOffset: number,
    valueLength: number,
    flags: number,
    expiresAtMs: number,
    partition: number,
  ): void {
    const t = this.#table;
    this.#bytesStored += valueLength - t.valueLength(item);
    this.#copier.copyIn(value, valueOffset, valueLength, t, item, t.valueOffset(item));
    const now = this.#clock.now();
    t.setValueLength(item, valueLength);
    t.setFlags(item, flags);
    t.setCas(item, ++this.#lastCas);
    t.setCreatedAtMs(item, now);
    t.setLastAccessedMs(item, now);
    t.resetAccessCount(item);
    const slot = t.slotOf(item);
    this.#order.remove(slot);
    this.#order.insert(slot);
    const wanted = partition < 0 ? hash >>> 24 : partition;
    if (wanted !== t.partition[slot]) {
      this.#partitions.remove(slot);
      this.#partitions.add(slot, wanted);
    }
    const hadTtl = t.expiresAtMs(item) !== 0;
    t.setExpiresAtMs(item, expiresAtMs);
    if (expiresAtMs !== 0) this.#heap.upsert(slot, expiresAtMs);
    else if (hadTtl) this.#heap.remove(slot);
  }

  #remove(item: number): void {
    const t = this.#table;
    const itemBytes = t.keyLength(item) + t.valueLength(item);
    const slot = t.slotOf(item);
    t.unlink(item);
    this.#order.remove(slot);
    this.#partitions.remove(slot);
    if (t.expiresAtMs(item) !== 0) this.#heap.remove(slot);
    t.release(item);
    this.#bytesStored -= itemBytes;
  }

  /** Evicts by policy until `itemBytes` more fit; expired items go first and count as expired. */
  #makeRoom(itemBytes: number): void {
    while (this.#bytesStored + itemBytes > this.maxMemory) {
      if (this.#heap.size > 0 && this.#heap.peekExpiresAtMs() <= this.#clock.now()) {
        this.#remove(this.#table.itemOf(this.#heap.peek()));
        this.#expired++;
        continue;
      }
      const victim = this.#order.victim();
      if (victim === NONE) return; // empty: cannot happen while itemBytes ≤ maxMemory
      this.#remove(this.#table.itemOf(victim));
      this.#evictions++;
    }
  }

  /** append/prepend: the old value and the new bytes joined, same flags, expiry and partition. */
  #concat(
    item: number,
    mode: 'append' | 'prepend',
    value: Uint8Array,
    offset: number,
    length: number,
  ): StoreResult {
    const t = this.#table;
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
    this.#remove(item);
    this.#insert(hash, joined, 0, keyLength, joined, keyLength, total, flags, expiresAt, partition);
    return 'stored';
  }

  /** A copy of `item` as a CacheEntry (what `CacheNode.get` hands out). */
  entryAt(item: number): CacheEntry {
    return entryCopy(this.#table, item, this.#values);
  }
}
