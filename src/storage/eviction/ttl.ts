import type { ExpiryHeap } from '../expiry-heap.js';
import type { SlotTable } from '../slot-table.js';
import { LruOrder } from './lru.js';
import type { EvictionOrder } from './policy.js';

/**
 * Soonest expiry first (the node's expiry heap, O(log n)); entries without a TTL go after every
 * entry with one, least recently used first.
 */
export class TtlOrder implements EvictionOrder {
  readonly #lru: LruOrder;
  readonly #heap: ExpiryHeap;
  constructor(table: SlotTable, heap: ExpiryHeap) {
    this.#lru = new LruOrder(table);
    this.#heap = heap;
  }
  insert(slot: number): void {
    this.#lru.insert(slot);
  }
  access(slot: number): void {
    this.#lru.access(slot);
  }
  remove(slot: number): void {
    this.#lru.remove(slot);
  }
  victim(): number {
    const soonest = this.#heap.peek();
    return soonest >= 0 ? soonest : this.#lru.victim();
  }
  clear(): void {
    this.#lru.clear();
  }
}
