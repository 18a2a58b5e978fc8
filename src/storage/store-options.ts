/**
 * The shapes a node is configured and driven with: options, store modes and their outcomes.
 */

/** memcached's default item size limit (`-I 1m`). */
export const DEFAULT_MAX_ITEM_BYTES = 1024 * 1024;

/** How a store command treats an existing item (memcached's storage commands). */
export type StoreMode = 'set' | 'add' | 'replace' | 'append' | 'prepend' | 'cas';

/** Outcome of a store: memcached's STORED, NOT_STORED, EXISTS, NOT_FOUND. */
export type StoreResult = 'stored' | 'notStored' | 'exists' | 'notFound';

export interface CacheNodeOptions {
  /**
   * Milliseconds clock for TTLs and timestamps. Default `Date.now`. An injected clock is read on
   * every check (deterministic tests).
   */
  readonly clock?: () => number;
  /**
   * With the default clock, a clock reading is reused for up to this many ms (and at most 1,024
   * reads; coarse-clock.ts), like lru-cache's `ttlResolution`: reading the clock costs ~35 ns,
   * as much as a whole lookup. An item can thus be served up to this long after its expiry.
   * 0 reads the clock at every check. Default 1.
   */
  readonly clockResolutionMs?: number;
  /** Largest value accepted, in bytes. Default 1 MiB (memcached's `-I`). */
  readonly maxItemBytes?: number;
  /** TTL applied when a store gives none (or 0). Default 0: no expiry. */
  readonly defaultTtlMs?: number;
  /**
   * Slots to reserve up front; the table grows by 1.5× past it. Default: one per 128 bytes of
   * maxMemory (at most 16M). Reserved rows are untouched zeroed memory, which the OS does not
   * commit until used, while growing copies the rows and leaves the old ones to the allocator.
   */
  readonly initialCapacity?: number;
  /**
   * Slab pages the node may use (each 1 MiB, or one huge item): at most and by default 16,384,
   * the address space of a chunk. Past it a store evicts (up to 64 items) until a chunk of its
   * size class frees up, else fails with OutOfMemoryError (memcached's `SERVER_ERROR out of
   * memory storing object`). Only nodes over ~4 GiB of small items reach the default.
   */
  readonly maxSlabPages?: number;
}
