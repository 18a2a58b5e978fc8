/**
 * Types shared by every part of shardcache. Units are in the names: `…Ms` is milliseconds on the
 * node's clock (`Date.now()` unless a clock is injected), `…Bytes` is bytes.
 */

/** How a full node picks its victim. */
export type EvictionPolicy = 'lru' | 'lfu' | 'fifo' | 'ttl';

/** Every policy, in a fixed order (for option checks and loops in tests and benches). */
export const EVICTION_POLICIES = [
  'lru',
  'lfu',
  'fifo',
  'ttl',
] as const satisfies readonly EvictionPolicy[];

/**
 * A stored item as handed out by `CacheNode.get`. It is a copy: it stays valid and unchanged for
 * its holder whatever happens to the node afterwards.
 */
export interface CacheEntry {
  readonly value: Uint8Array;
  /** memcached's 32-bit client flags, stored and returned unchanged. */
  readonly flags: number;
  /** 64-bit unique per modification (memcached's CAS). */
  readonly cas: bigint;
  readonly createdAtMs: number;
  /** Absolute expiry on the node's clock; undefined means no expiry. */
  readonly expiresAtMs: number | undefined;
  readonly lastAccessedMs: number;
  /** Hits since the item was stored (what `lfu` ranks by). */
  readonly accessCount: number;
}

/** Counters of one node (or, summed, of a cluster). Exact: a miss is never a hit. */
export interface CacheStats {
  hits: number;
  misses: number;
  evictions: number;
  /** Items reclaimed because their TTL passed: each expiry counts once. */
  expired: number;
  /** Key bytes + value bytes of the items stored: what `maxMemory` bounds. */
  bytesStored: number;
  entryCount: number;
  /** Bytes the node's slabs and tables really hold (≥ bytesStored). */
  physicalBytes: number;
}

/** A member of the hash ring. */
export interface NodeInfo {
  readonly id: string;
  /** 'worker' for a worker-thread node, 'host:port' for a remote memcached-protocol node. */
  readonly addr: string;
  /** Points on the ring are `virtualNodes × weight`. */
  readonly weight: number;
  isAlive: boolean;
}
