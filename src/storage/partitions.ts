import { NONE, type SlotTable } from './slot-table.js';

/**
 * Items filed by partition (a virtual-node id): one doubly linked list per partition through the
 * table's `partNext`/`partPrev` columns, heads in a Map keyed by partition id (a few hundred per
 * node, not one per item). A migration lists or drops one partition without a full scan.
 */
export class PartitionLists {
  readonly #table: SlotTable;
  readonly #heads = new Map<number, number>();

  constructor(table: SlotTable) {
    this.#table = table;
  }

  add(slot: number, partition: number): void {
    const t = this.#table;
    const head = this.#heads.get(partition) ?? NONE;
    t.partition[slot] = partition;
    t.partPrev[slot] = NONE;
    t.partNext[slot] = head;
    if (head !== NONE) t.partPrev[head] = slot;
    this.#heads.set(partition, slot);
  }

  remove(slot: number): void {
    const t = this.#table;
    const before = t.partPrev[slot]!;
    const after = t.partNext[slot]!;
    if (after !== NONE) t.partPrev[after] = before;
    if (before !== NONE) {
      t.partNext[before] = after;
    } else if (after !== NONE) {
      this.#heads.set(t.partition[slot]!, after);
    } else {
      this.#heads.delete(t.partition[slot]!);
    }
  }

  /** First slot of `partition`, or NONE. */
  first(partition: number): number {
    return this.#heads.get(partition) ?? NONE;
  }

  ids(): number[] {
    return [...this.#heads.keys()];
  }

  clear(): void {
    this.#heads.clear();
  }
}
