/**
 * The item lifecycle of a node: items into and out of the slot table (slot-table.ts: a hash
 * index over chunks in slab pages, each chunk a header, the key and the value), the memory
 * bound, eviction by policy, expiry (lazy on access, and a bounded sweep) and the partition
 * lists. ByteStore puts memcached's commands on top. Synchronous and single-threaded; a node
 * holding millions of items holds no JS object per item.
 *
 * Invariants after every public method: `bytesStored ≤ maxMemory`, where bytesStored is the sum
 * of key + value bytes of the stored items; every stored item is in exactly one hash chain, one
 * eviction order, one partition list, and in the expiry heap iff it has a TTL.
 */

import { InvalidArgumentError, OutOfMemoryError } from '../errors.js';
import type { CacheStats, EvictionPolicy } from '../types.js';
import { CoarseClock } from './coarse-clock.js';
import { LfuOrder } from './eviction/lfu.js';
import { type EvictionOrder, newEvictionOrder } from './eviction/policy.js';
import { ExpiryHeap } from './expiry-heap.js';
import { copyBytes, WordCopier } from './item-copy.js';
import { stampItem } from './item-header.js';
import { PartitionLists } from './partitions.js';
import { MAX_PAGES, SlabAllocator } from './slab-allocator.js';
import { HEADER_BYTES, NONE, SlotTable } from './slot-table.js';
import { type CacheNodeOptions, DEFAULT_MAX_ITEM_BYTES } from './store-options.js';

/** Evictions a store may make to find a chunk once the slab has no page number left. */
const MAX_EVICTIONS_FOR_A_CHUNK = 64;

export class ItemStore {
  readonly maxMemory: number;
  readonly policy: EvictionPolicy;
  readonly maxItemBytes: number;
  readonly defaultTtlMs: number;
  protected readonly table: SlotTable;
  protected readonly heap: ExpiryHeap;
  protected readonly order: EvictionOrder;
  protected readonly clock: CoarseClock;
  protected readonly copier = new WordCopier();
  protected hits = 0;
  protected misses = 0;
  protected lastCas = 0;
  readonly #lfu: LfuOrder | undefined;
  readonly #partitions: PartitionLists;
  #evictions = 0;
  #expired = 0;
  #bytesStored = 0;

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
    this.clock = new CoarseClock(
      options.clock ?? Date.now,
      options.clock ? 0 : (options.clockResolutionMs ?? 1),
    );
    const maxSlabPages = options.maxSlabPages ?? MAX_PAGES;
    if (!Number.isSafeInteger(maxSlabPages) || maxSlabPages < 1 || maxSlabPages > MAX_PAGES) {
      throw new InvalidArgumentError(`maxSlabPages must be an integer from 1 to ${MAX_PAGES}`);
    }
    this.table = new SlotTable(
      options.initialCapacity ?? Math.min(Math.max(1024, Math.ceil(maxMemory / 128)), 1 << 24),
      new SlabAllocator(maxSlabPages),
    );
    this.heap = new ExpiryHeap(this.table);
    this.#partitions = new PartitionLists(this.table);
    this.order = newEvictionOrder(policy, this.table, this.heap);
    this.#lfu = this.order instanceof LfuOrder ? this.order : undefined;
    this.table.onGrow = (capacity) => {
      this.heap.grow(capacity);
      this.#lfu?.grow(capacity);
    };
  }

  // ── expiry, partitions, stats ─────────────────────────────────────────────────────────────

  /**
   * Reclaims at most `maxEntries` expired items, soonest-expired first, and returns how many.
   * Bounded work: a worker calls it on a timer so expired items go without being accessed.
   */
  sweepExpired(maxEntries = 64): number {
    if (this.heap.size === 0) return 0;
    const now = this.clock.now();
    let reclaimed = 0;
    while (reclaimed < maxEntries) {
      if (this.heap.peekExpiresAtMs() > now) break; // Infinity when empty
      this.remove(this.table.itemOf(this.heap.peek()));
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
    this.table.clear();
    this.heap.clear();
    this.order.clear();
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
    const t = this.table;
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
      this.remove(this.table.itemOf(slot));
      dropped++;
    }
    return dropped;
  }

  /** Files `item` under another partition (a migration re-homing keys it keeps). */
  setPartition(item: number, partition: number): void {
    const slot = this.table.slotOf(item);
    if (this.table.partition[slot] === partition) return;
    this.#partitions.remove(slot);
    this.#partitions.add(slot, partition);
  }

  stats(): CacheStats {
    return {
      hits: this.hits,
      misses: this.misses,
      evictions: this.#evictions,
      expired: this.#expired,
      bytesStored: this.#bytesStored,
      entryCount: this.table.count,
      physicalBytes:
        this.table.slab.physicalBytes +
        this.table.physicalBytes +
        this.heap.physicalBytes +
        (this.#lfu?.physicalBytes ?? 0),
    };
  }

  // ── the item lifecycle (for ByteStore) ────────────────────────────────────────────────────

  /** Like `find`, but an expired item is reclaimed (counted once) and reported missing. */
  protected findLive(hash: number, key: Uint8Array, offset: number, length: number): number {
    const item = this.table.find(hash, key, offset, length);
    if (item === NONE) return NONE;
    const expiresAtMs = this.table.expiresAtMs(item);
    if (expiresAtMs !== 0 && expiresAtMs <= this.clock.now()) {
      this.expire(item);
      return NONE;
    }
    return item;
  }

  /** Reclaims `item`, found expired on access (each expiry counts once). */
  protected expire(item: number): void {
    this.remove(item);
    this.#expired++;
  }

  /**
   * Absolute expiry for a TTL: 0 for none, -1 for already expired. A NaN TTL (the byte API
   * and the wire are not checked by CacheNode's argument checks) is refused: as an expiry it
   * would compare false with every time, never expire and break the heap's order.
   */
  protected expiryFor(ttlMs: number): number {
    if (Number.isNaN(ttlMs)) throw new InvalidArgumentError('ttlMs must be a number');
    const ttl = ttlMs === 0 ? this.defaultTtlMs : ttlMs;
    if (ttl === 0) return 0;
    if (ttl < 0) return -1;
    return this.clock.now() + ttl;
  }

  /** Stores a new item (its key is absent); evicts first to make room for it. */
  protected insert(
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
    this.makeRoom(itemBytes);
    const t = this.table;
    const item = this.#allocate(keyLength, valueLength);
    const page = t.bytesOf(item);
    const at = t.keyOffset(item);
    try {
      copyBytes(key, keyOffset, keyLength, page, at);
      this.copier.copyIn(value, valueOffset, valueLength, t, item, at + keyLength);
    } catch (err) {
      t.release(item); // not linked anywhere yet: as if never stored
      throw err;
    }
    stampItem(t.slab, item, flags, ++this.lastCas, expiresAtMs, this.clock.now());
    t.link(item, hash);
    const slot = t.slotOf(item);
    this.order.insert(slot);
    this.#partitions.add(slot, partitionFor(hash, partition));
    if (expiresAtMs !== 0) this.heap.upsert(slot, expiresAtMs);
    this.#bytesStored += itemBytes;
  }

  /** True when a new item of `itemBytes` can reuse `item`'s chunk without any eviction. */
  protected canOverwrite(item: number, itemBytes: number): boolean {
    const t = this.table;
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
  protected overwrite(
    item: number,
    hash: number,
    value: Uint8Array,
    valueOffset: number,
    valueLength: number,
    flags: number,
    expiresAtMs: number,
    partition: number,
  ): void {
    const t = this.table;
    this.copier.copyIn(value, valueOffset, valueLength, t, item, t.valueOffset(item));
    this.#bytesStored += valueLength - t.valueLength(item);
    t.setValueLength(item, valueLength);
    const hadTtl = t.expiresAtMs(item) !== 0;
    stampItem(t.slab, item, flags, ++this.lastCas, expiresAtMs, this.clock.now());
    const slot = t.slotOf(item);
    this.order.remove(slot);
    this.order.insert(slot);
    const wanted = partitionFor(hash, partition);
    if (wanted !== t.partition[slot]) {
      this.#partitions.remove(slot);
      this.#partitions.add(slot, wanted);
    }
    if (expiresAtMs !== 0) this.heap.upsert(slot, expiresAtMs);
    else if (hadTtl) this.heap.remove(slot);
  }

  protected remove(item: number): void {
    const t = this.table;
    const itemBytes = t.keyLength(item) + t.valueLength(item);
    const slot = t.slotOf(item);
    t.unlink(item);
    this.order.remove(slot);
    this.#partitions.remove(slot);
    if (t.expiresAtMs(item) !== 0) this.heap.remove(slot);
    t.release(item);
    this.#bytesStored -= itemBytes;
  }

  /** Evicts by policy until `itemBytes` more fit; expired items go first and count as expired. */
  protected makeRoom(itemBytes: number): void {
    while (this.#bytesStored + itemBytes > this.maxMemory) {
      if (!this.#evictOne()) return; // empty: cannot happen while itemBytes ≤ maxMemory
    }
  }

  /**
   * A new item from the table. When the slab has no page number left, items are evicted (up to
   * MAX_EVICTIONS_FOR_A_CHUNK) until a chunk of the size class frees up, as memcached evicts
   * within a slab class; only victims that help go (see `#evictOne`), so a store that cannot
   * succeed fails at once instead of emptying the node one retry at a time.
   */
  #allocate(keyLength: number, valueLength: number): number {
    for (let evicted = 0; ; evicted++) {
      try {
        return this.table.allocate(keyLength, valueLength);
      } catch (err) {
        if (!(err instanceof OutOfMemoryError) || evicted === MAX_EVICTIONS_FOR_A_CHUNK) throw err;
        if (!this.#evictOne(HEADER_BYTES + keyLength + valueLength)) throw err;
      }
    }
  }

  /**
   * Removes an expired item if there is one, else the policy's victim; false when there is none.
   * With `forChunk` (a chunk size), the victim goes only if its chunk is of that size class or a
   * page of its own: the only ones whose removal lets a chunk of that size be allocated.
   */
  #evictOne(forChunk = 0): boolean {
    if (this.heap.peekExpiresAtMs() <= this.clock.now()) {
      this.remove(this.table.itemOf(this.heap.peek()));
      this.#expired++;
      return true;
    }
    const victim = this.order.victim();
    if (victim === NONE) return false;
    const item = this.table.itemOf(victim);
    if (forChunk > 0) {
      const held = HEADER_BYTES + this.table.keyLength(item) + this.table.valueLength(item);
      if (!SlabAllocator.sameClass(held, forChunk) && !SlabAllocator.isHuge(held)) return false;
    }
    this.remove(item);
    this.#evictions++;
    return true;
  }
}

/** The partition a store files its item under: the caller's, or (-1) one derived from the hash. */
function partitionFor(hash: number, partition: number): number {
  return partition < 0 ? hash >>> 24 : partition;
}
