import { NONE, type SlotTable } from '../slot-table.js';

/**
 * A doubly linked list of slots threaded through the table's `next`/`prev` columns: head is the
 * newest (or most recently used), tail the oldest. The columns are read through the table on
 * every call because growing the table replaces them.
 */
export class SlotList {
  head = NONE;
  tail = NONE;
  readonly #table: SlotTable;

  constructor(table: SlotTable) {
    this.#table = table;
  }

  pushFront(slot: number): void {
    const t = this.#table;
    t.setPrev(slot, NONE);
    t.setNext(slot, this.head);
    if (this.head !== NONE) t.setPrev(this.head, slot);
    else this.tail = slot;
    this.head = slot;
  }

  remove(slot: number): void {
    const t = this.#table;
    const before = t.prev(slot);
    const after = t.next(slot);
    if (before !== NONE) t.setNext(before, after);
    else this.head = after;
    if (after !== NONE) t.setPrev(after, before);
    else this.tail = before;
  }

  moveToFront(slot: number): void {
    if (this.head === slot) return;
    this.remove(slot);
    this.pushFront(slot);
  }

  clear(): void {
    this.head = NONE;
    this.tail = NONE;
  }
}
