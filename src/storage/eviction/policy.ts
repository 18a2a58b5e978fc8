/**
 * The order in which a full node gives up its entries. Each policy keeps its own structure over
 * the slot table's `next`/`prev` links (and columns of its own), and every method is O(1), or
 * O(log n) for `ttl`: a victim is never found by scanning.
 */
export interface EvictionOrder {
  /** A new entry was stored. */
  insert(slot: number): void;
  /** The entry was read (a hit). */
  access(slot: number): void;
  /** The entry is leaving (deleted, replaced, expired or evicted). */
  remove(slot: number): void;
  /** The entry to evict next, or -1 when there is none. Does not remove it. */
  victim(): number;
  /** Forget every entry (flush). */
  clear(): void;
}
