import type { SlotTable } from '../slot-table.js';
import type { EvictionOrder } from './policy.js';
import { SlotList } from './slot-list.js';

/** First in, first out: reads change nothing; the oldest stored entry goes first. */
export class FifoOrder implements EvictionOrder {
  readonly #list: SlotList;
  constructor(table: SlotTable) {
    this.#list = new SlotList(table);
  }
  insert(slot: number): void {
    this.#list.pushFront(slot);
  }
  access(_slot: number): void {}
  remove(slot: number): void {
    this.#list.remove(slot);
  }
  victim(): number {
    return this.#list.tail;
  }
  clear(): void {
    this.#list.clear();
  }
}
