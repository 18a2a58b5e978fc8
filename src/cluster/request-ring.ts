/**
 * Where a worker node's request batches are written: one SharedArrayBuffer per node, used as a
 * ring of variable-size regions released in the order they were taken (a node answers its
 * batches in order). The main thread copies a batch in and posts only its place (a number), so a
 * batch costs no ArrayBuffer, no transfer and no clone; the worker reads the batch in place and
 * is done with it before it answers, which is what releases the region.
 *
 *   [tail ……… in flight ……… head)  free  ─ or, after a wrap ─  in flight [0, head)  free  [tail, end)
 *
 * A batch that does not fit (larger than the free space, or than half the ring) gets -1 and
 * travels the old way, as a transferred ArrayBuffer.
 */

/** Bytes of each node's request ring. */
export const REQUEST_RING_BYTES = 4 * 1024 * 1024;
/** A posted place is `offset × PLACE_SPAN + length` (both below 2^23: exact in a double). */
const PLACE_SPAN = 2 ** 23;

/** The number posted for a batch at `offset` of `length` bytes. */
export function encodePlace(offset: number, length: number): number {
  return offset * PLACE_SPAN + length;
}

export function placeOffset(place: number): number {
  return Math.floor(place / PLACE_SPAN);
}

export function placeLength(place: number): number {
  return place % PLACE_SPAN;
}

export class RequestRing {
  readonly capacity: number;
  /** Next free byte (where the next region starts unless it wraps). */
  #head = 0;
  /** Starts of the regions in flight, oldest first from `#oldest`. */
  readonly #starts: number[] = [];
  #oldest = 0;

  constructor(capacity = REQUEST_RING_BYTES) {
    if (capacity >= PLACE_SPAN) throw new RangeError('ring too large for a place number');
    this.capacity = capacity;
  }

  /** Regions taken and not yet released. */
  get inFlight(): number {
    return this.#starts.length - this.#oldest;
  }

  /** Takes `length` bytes; returns their offset, or -1 when they do not fit now. */
  take(length: number): number {
    if (length > this.capacity / 2) return -1;
    let at: number;
    if (this.inFlight === 0) {
      at = 0;
    } else {
      const tail = this.#starts[this.#oldest]!;
      if (this.#head > tail) {
        // in flight: [tail, head); free: [head, capacity) and [0, tail)
        if (this.capacity - this.#head >= length) at = this.#head;
        else if (tail > length) at = 0;
        else return -1;
      } else {
        // wrapped: in flight [tail, …) and [0, head); free: [head, tail)
        if (tail - this.#head > length) at = this.#head;
        else return -1;
      }
    }
    this.#head = at + length;
    this.#starts.push(at);
    return at;
  }

  /** Releases the oldest region in flight (its batch was answered or failed). */
  releaseOldest(): void {
    if (this.inFlight === 0) throw new Error('no region in flight');
    this.#oldest++;
    if (this.#oldest > 1024 && this.#oldest * 2 > this.#starts.length) {
      this.#starts.splice(0, this.#oldest);
      this.#oldest = 0;
    }
  }

  /** Forgets every region (the worker is gone). */
  reset(): void {
    this.#starts.length = 0;
    this.#oldest = 0;
    this.#head = 0;
  }
}
