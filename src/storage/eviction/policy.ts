import { InvalidArgumentError } from '../../errors.js';
import type { EvictionPolicy } from '../../types.js';
import type { ExpiryHeap } from '../expiry-heap.js';
import type { SlotTable } from '../slot-table.js';
import { FifoOrder } from './fifo.js';
import { LfuOrder } from './lfu.js';
import { LruOrder } from './lru.js';
import { TtlOrder } from './ttl.js';

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

/** The order for `policy` over `table` (`ttl` ranks by `heap`). */
export function newEvictionOrder(
  policy: EvictionPolicy,
  table: SlotTable,
  heap: ExpiryHeap,
): EvictionOrder {
  switch (policy) {
    case 'lru':
      return new LruOrder(table);
    case 'fifo':
      return new FifoOrder(table);
    case 'lfu':
      return new LfuOrder(table);
    case 'ttl':
      return new TtlOrder(table, heap);
    default:
      throw new InvalidArgumentError(`unknown eviction policy: ${String(policy)}`);
  }
}
