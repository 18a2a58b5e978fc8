import { NONE, type SlotTable } from './slot-table.js';

/**
 * A binary min-heap of the slots that have a TTL, keyed by `expiresAtMs`. It finds what to
 * reclaim without touching unexpired entries (the active sweep pops while the top has passed),
 * and it is the `ttl` policy's eviction order. O(log n) per change. Each heap cell holds its
 * expiry next to its slot, so sifting stays inside the heap's own arrays instead of touching a
 * table row (a cache miss) per level. The position of each slot in
 * the heap (plus one, so that 0 means absent and the column needs no fill) lives in a column of
 * its own, allocated on the first TTL so that a node that never sees one pays nothing.
 */
export class ExpiryHeap {
  readonly #table: SlotTable;
  #heap = new Int32Array(0);
  /** expiresAtMs of the slot in the same heap cell. */
  #keys = new Float64Array(0);
  #pos = new Int32Array(0);
  size = 0;

  constructor(table: SlotTable) {
    this.#table = table;
  }

  grow(capacity: number): void {
    if (this.#pos.length === 0) return;
    const pos = new Int32Array(capacity);
    pos.set(this.#pos);
    this.#pos = pos;
  }

  get physicalBytes(): number {
    return this.#heap.byteLength + this.#keys.byteLength + this.#pos.byteLength;
  }

  /** The slot that expires first, or NONE. */
  peek(): number {
    return this.size > 0 ? this.#heap[0]! : NONE;
  }

  /** When the slot `peek` returns expires (Infinity when the heap is empty). */
  peekExpiresAtMs(): number {
    return this.size > 0 ? this.#keys[0]! : Number.POSITIVE_INFINITY;
  }

  has(slot: number): boolean {
    return this.#pos.length > 0 && this.#pos[slot]! !== 0;
  }

  /** Adds `slot` to expire at `expiresAtMs`, or moves it there. */
  upsert(slot: number, expiresAtMs: number): void {
    if (this.#pos.length === 0) this.#pos = new Int32Array(this.#table.capacity);
    const at = this.#pos[slot]! - 1;
    if (at !== NONE) {
      this.#keys[at] = expiresAtMs;
      this.#siftUp(at);
      this.#siftDown(this.#pos[slot]! - 1);
      return;
    }
    if (this.size === this.#heap.length) {
      const grown = new Int32Array(Math.max(16, this.size * 2));
      grown.set(this.#heap);
      this.#heap = grown;
      const keys = new Float64Array(grown.length);
      keys.set(this.#keys);
      this.#keys = keys;
    }
    this.#heap[this.size] = slot;
    this.#keys[this.size] = expiresAtMs;
    this.#pos[slot] = this.size + 1;
    this.size++;
    this.#siftUp(this.size - 1);
  }

  remove(slot: number): void {
    if (this.#pos.length === 0) return;
    const at = this.#pos[slot]! - 1;
    if (at === NONE) return;
    this.#pos[slot] = 0;
    this.size--;
    if (at === this.size) return;
    const last = this.#heap[this.size]!;
    this.#heap[at] = last;
    this.#keys[at] = this.#keys[this.size]!;
    this.#pos[last] = at + 1;
    this.#siftUp(at);
    this.#siftDown(this.#pos[last]! - 1);
  }

  clear(): void {
    this.size = 0;
    this.#pos.fill(0);
  }

  #less(a: number, b: number): boolean {
    return this.#keys[a]! < this.#keys[b]!;
  }

  #swap(a: number, b: number): void {
    const sa = this.#heap[a]!;
    const sb = this.#heap[b]!;
    const ka = this.#keys[a]!;
    this.#heap[a] = sb;
    this.#heap[b] = sa;
    this.#keys[a] = this.#keys[b]!;
    this.#keys[b] = ka;
    this.#pos[sb] = a + 1;
    this.#pos[sa] = b + 1;
  }

  #siftUp(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(i, parent)) return;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #siftDown(i: number): void {
    for (;;) {
      const l = 2 * i + 1;
      if (l >= this.size) return;
      const r = l + 1;
      const child = r < this.size && this.#less(r, l) ? r : l;
      if (!this.#less(child, i)) return;
      this.#swap(i, child);
      i = child;
    }
  }
}
