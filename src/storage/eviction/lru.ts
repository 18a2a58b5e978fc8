import type { SlotTable } from '../slot-table.js';
import type { EvictionOrder } from './policy.js';
import { SlotList } from './slot-list.js';

/** Least recently used: a hit moves the entry to the head; the tail goes first. */
export class LruOrder implements EvictionOrder {
  readonly list: SlotList;
  constructor(table: SlotTable) {
    this.list = new SlotList(table);
  }
  insert(slot: number): void {
    this.list.pushFront(slot);
  }
  access(slot: number): void {
    this.list.moveToFront(slot);
  }
  remove(slot: number): void {
    this.list.remove(slot);
  }
  victim(): number {
    return this.list.tail;
  }
  clear(): void {
    this.list.clear();
  }
}
