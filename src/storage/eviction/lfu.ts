import { NONE, type SlotTable } from '../slot-table.js';
import type { EvictionOrder } from './policy.js';

/**
 * Least frequently used, ties broken by least recently used, in O(1) (Shah, Mitra & Matani's
 * frequency-bucket LFU):
 *
 *   lowest ─► [freq 0] ⇄ [freq 2] ⇄ [freq 7] …      buckets, ascending, only non-empty ones
 *               │          │
 *             slot⇄slot  slot                        entries of that frequency, newest first
 *
 * A hit moves the entry from bucket f to bucket f+1 (created next to f if missing); the victim
 * is the oldest entry of the lowest bucket. The frequency is the entry's hit count
 * (`accessCount`), so a new entry starts at 0. Buckets are typed-array rows on a free stack.
 */
export class LfuOrder implements EvictionOrder {
  readonly #table: SlotTable;
  /** Bucket of each slot. */
  #bucketOf: Int32Array;
  #freq = new Float64Array(16);
  #head = new Int32Array(16);
  #tail = new Int32Array(16);
  #up = new Int32Array(16);
  #down = new Int32Array(16);
  #freeBuckets: number[] = [];
  #bucketHighWater = 0;
  #lowest = NONE;

  constructor(table: SlotTable) {
    this.#table = table;
    this.#bucketOf = new Int32Array(table.capacity);
  }

  grow(capacity: number): void {
    const next = new Int32Array(capacity);
    next.set(this.#bucketOf);
    this.#bucketOf = next;
  }

  get physicalBytes(): number {
    return this.#bucketOf.byteLength + this.#freq.length * 24;
  }

  insert(slot: number): void {
    let b = this.#lowest;
    if (b === NONE || this.#freq[b] !== 0) b = this.#newBucket(0, NONE, b);
    this.#pushFront(b, slot);
  }

  access(slot: number): void {
    const b = this.#bucketOf[slot]!;
    const f = this.#freq[b]! + 1;
    let target = this.#up[b]!;
    if (target === NONE || this.#freq[target] !== f) target = this.#newBucket(f, b, target);
    this.#unlinkSlot(b, slot);
    this.#pushFront(target, slot);
  }

  remove(slot: number): void {
    this.#unlinkSlot(this.#bucketOf[slot]!, slot);
  }

  victim(): number {
    return this.#lowest === NONE ? NONE : this.#tail[this.#lowest]!;
  }

  clear(): void {
    this.#lowest = NONE;
    this.#freeBuckets = [];
    this.#bucketHighWater = 0;
  }

  #pushFront(b: number, slot: number): void {
    const t = this.#table;
    const head = this.#head[b]!;
    t.setPrev(slot, NONE);
    t.setNext(slot, head);
    if (head !== NONE) t.setPrev(head, slot);
    else this.#tail[b] = slot;
    this.#head[b] = slot;
    this.#bucketOf[slot] = b;
  }

  /** Takes `slot` out of bucket `b`, dropping the bucket when it empties. */
  #unlinkSlot(b: number, slot: number): void {
    const t = this.#table;
    const before = t.prev(slot);
    const after = t.next(slot);
    if (before !== NONE) t.setNext(before, after);
    else this.#head[b] = after;
    if (after !== NONE) t.setPrev(after, before);
    else this.#tail[b] = before;
    if (this.#head[b] === NONE) this.#dropBucket(b);
  }

  /** A new empty bucket of frequency `freq` between `below` and `above` (either may be NONE). */
  #newBucket(freq: number, below: number, above: number): number {
    let b = this.#freeBuckets.pop();
    if (b === undefined) {
      if (this.#bucketHighWater === this.#freq.length) this.#growBuckets();
      b = this.#bucketHighWater++;
    }
    this.#freq[b] = freq;
    this.#head[b] = NONE;
    this.#tail[b] = NONE;
    this.#down[b] = below;
    this.#up[b] = above;
    if (below !== NONE) this.#up[below] = b;
    else this.#lowest = b;
    if (above !== NONE) this.#down[above] = b;
    return b;
  }

  #dropBucket(b: number): void {
    const below = this.#down[b]!;
    const above = this.#up[b]!;
    if (below !== NONE) this.#up[below] = above;
    else this.#lowest = above;
    if (above !== NONE) this.#down[above] = below;
    this.#freeBuckets.push(b);
  }

  #growBuckets(): void {
    const n = this.#freq.length * 2;
    const grow = <T extends Float64Array | Int32Array>(a: T, make: (n: number) => T): T => {
      const next = make(n);
      next.set(a);
      return next;
    };
    this.#freq = grow(this.#freq, (k) => new Float64Array(k));
    this.#head = grow(this.#head, (k) => new Int32Array(k));
    this.#tail = grow(this.#tail, (k) => new Int32Array(k));
    this.#up = grow(this.#up, (k) => new Int32Array(k));
    this.#down = grow(this.#down, (k) => new Int32Array(k));
  }
}
