/**
 * Per-node counters in one SharedArrayBuffer, piscina-style: node `i` owns the fields at
 * `i × FIELD_COUNT + field`. Each worker publishes its node's counters after every batch with
 * `Atomics.store`; the main thread reads them with `Atomics.load`, so `DistributedCache.stats()`
 * is synchronous and never waits on a thread.
 */

import type { CacheStats } from '../types.js';

export const Field = {
  hits: 0,
  misses: 1,
  evictions: 2,
  expired: 3,
  bytesStored: 4,
  entryCount: 5,
  physicalBytes: 6,
} as const;
export const FIELD_COUNT = 7;
/** Slots in one counters buffer: more nodes than a ring will ever hold in one process. */
export const MAX_NODE_SLOTS = 256;

export function newCountersBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(MAX_NODE_SLOTS * FIELD_COUNT * 8);
}

/** Writes `stats` into slot `index` (worker side). */
export function publishCounters(counters: BigUint64Array, index: number, stats: CacheStats): void {
  const base = index * FIELD_COUNT;
  Atomics.store(counters, base + Field.hits, BigInt(stats.hits));
  Atomics.store(counters, base + Field.misses, BigInt(stats.misses));
  Atomics.store(counters, base + Field.evictions, BigInt(stats.evictions));
  Atomics.store(counters, base + Field.expired, BigInt(stats.expired));
  Atomics.store(counters, base + Field.bytesStored, BigInt(stats.bytesStored));
  Atomics.store(counters, base + Field.entryCount, BigInt(stats.entryCount));
  Atomics.store(counters, base + Field.physicalBytes, BigInt(stats.physicalBytes));
}

/** Reads slot `index` (main side). */
export function readCounters(counters: BigUint64Array, index: number): CacheStats {
  const base = index * FIELD_COUNT;
  const at = (field: number): number => Number(Atomics.load(counters, base + field));
  return {
    hits: at(Field.hits),
    misses: at(Field.misses),
    evictions: at(Field.evictions),
    expired: at(Field.expired),
    bytesStored: at(Field.bytesStored),
    entryCount: at(Field.entryCount),
    physicalBytes: at(Field.physicalBytes),
  };
}

/** Zeroes slot `index` (a node restarted empty). */
export function clearCounters(counters: BigUint64Array, index: number): void {
  const base = index * FIELD_COUNT;
  for (let f = 0; f < FIELD_COUNT; f++) Atomics.store(counters, base + f, 0n);
}

export function emptyStats(): CacheStats {
  return {
    hits: 0,
    misses: 0,
    evictions: 0,
    expired: 0,
    bytesStored: 0,
    entryCount: 0,
    physicalBytes: 0,
  };
}

/** a += b, field by field. */
export function addStats(a: CacheStats, b: CacheStats): void {
  a.hits += b.hits;
  a.misses += b.misses;
  a.evictions += b.evictions;
  a.expired += b.expired;
  a.bytesStored += b.bytesStored;
  a.entryCount += b.entryCount;
  a.physicalBytes += b.physicalBytes;
}
