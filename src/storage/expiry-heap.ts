import { NONE, type SlotTable } from './slot-table.js';

/**
 * A binary min-heap of the slots that have a TTL, keyed by `expiresAtMs`. It finds what to
 * reclaim without touching unexpired entries (the active sweep pops while the top has passed),
 * and it is the `ttl` policy's eviction order. Each heap cell holds its expiry next to its slot,
 * so sifting stays inside the heap's own arrays instead of touching an item per level. The
 * position of each slot in the heap (plus one, so that 0 means absent and the column needs no
 * fill) lives in a column of its own, allocated on the first TTL so that a node that never sees
 * one pays nothing.
 *
 * A later expiry is recorded lazily. Caches mostly push expiries out (every set of a hot key
 * with a TTL does), and sifting such a slot down to the leaves cost O(log n) cache misses per
 * set. So a cell's key may be earlier than its slot's real expiry (never later): the heap
 * orders by keys, and before the top is handed out (`peek`) it is checked against `expiryOf`
 * and, when stale, sifted down with the real expiry until the top is exact. Earlier expiries
 * (and new slots) are sifted up at once, O(log n).
 */
export class ExpiryHeap {
  readonly #table: SlotTable;
  readonly #expiryOf: (slot: number) => number;
  #heap = new Int32Array(0);
  /** expiresAtMs of the slot in the same heap cell. */
  #keys = new Float64Array(0);
  #pos = new Int32Array(0);
  size = 0;

  /** `expiryOf(slot)` is the real expiry of a slot in the heap. */
  constructor(table: SlotTable, expiryOf: (slot: number) => number) {
    this.#table = table;
    this.#expiryOf = expiryOf;
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
    if (this.size === 0) return NONE;
    this.#settleTop();
    return this.#heap[0]!;
  }

  /** When the slot `peek` returns expires (Infinity when the heap is empty). */
  peekExpiresAtMs(): number {
    if (this.size === 0) return Number.POSITIVE_INFINITY;
    this.#settleTop();
    return this.#keys[0]!;
  }

  has(slot: number): boolean {
    return this.#pos.length > 0 && this.#pos[slot]! !== 0;
  }

  /**
   * Adds `slot` to expire at `expiresAtMs`, or moves it there; `expiryOf(slot)` must say
   * `expiresAtMs` from now on. O(1) for a later expiry, O(log n) otherwise.
   */
  upsert(slot: number, expiresAtMs: number): void {
    if (this.#pos.length === 0) this.#pos = new Int32Array(this.#table.capacity);
    const at = this.#pos[slot]! - 1;
    if (at !== NONE) {
      if (expiresAtMs < this.#keys[at]!) {
        this.#keys[at] = expiresAtMs;
        this.#siftUp(at);
      }
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

  /** Sifts stale keys down from the top until the top's key is its slot's real expiry. */
  #settleTop(): void {
    for (;;) {
      const expiresAtMs = this.#expiryOf(this.#heap[0]!);
      if (expiresAtMs === this.#keys[0]) return;
      this.#keys[0] = expiresAtMs;
      this.#siftDown(0);
    }
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
