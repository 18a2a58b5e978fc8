/**
 * Copying an item's bytes out of the slab: whole entries for the string API, and the short
 * copies every store and read makes.
 */

import { markAsUntransferable } from 'node:worker_threads';
import type { CacheEntry } from '../types.js';
import { entryOf } from './item-header.js';
import type { SlotTable } from './slot-table.js';

/** Values from this length on are copied by `TypedArray#set` (a memmove) instead of words. */
const MEMMOVE_BYTES = 256;

/** A copy of `item` as a CacheEntry (what `CacheNode.get` hands out); its value from `values`. */
export function entryCopy(t: SlotTable, item: number, values: ValuePool): CacheEntry {
  return entryOf(t.slab, item, values.copyOf(t, item));
}

const POOL_BYTES = 16 * 1024;
/** Larger values get an ArrayBuffer of their own. */
const POOLED_MAX = 1024;

/**
 * Copies of values handed to callers, carved from a shared ArrayBuffer the way Node pools small
 * Buffers: a plain Uint8Array view (~12 ns) over a pool with a DataView of its own (so the word
 * copy needs no new view) instead of `Buffer.allocUnsafe` (~33 ns; a Buffer is a subclass) plus
 * a copy through a fresh view. Like a pooled Buffer, a value's `buffer` is the pool: it is
 * shared with other values, and holding one keeps the pool's 16 KiB alive.
 */
export class ValuePool {
  #pool = newPool();
  #bytes = new Uint8Array(this.#pool);
  #view = new DataView(this.#pool);
  #used = 0;

  /** A new copy of the value of `item`. */
  copyOf(t: SlotTable, item: number): Uint8Array {
    const length = t.valueLength(item);
    const start = t.valueOffset(item);
    if (length > POOLED_MAX) {
      const value = new Uint8Array(length);
      copyBytes(t.bytesOf(item), start, length, value, 0);
      return value;
    }
    if (this.#used + length > POOL_BYTES) {
      this.#pool = newPool();
      this.#bytes = new Uint8Array(this.#pool);
      this.#view = new DataView(this.#pool);
      this.#used = 0;
    }
    const at = this.#used;
    this.#used = (at + length + 7) & ~7; // 8-byte aligned, like Node's pool
    copyWords(t.bytesOf(item), t.viewOf(item), start, length, this.#bytes, this.#view, at);
    return new Uint8Array(this.#pool, at, length);
  }
}

/**
 * Copies `src[srcOffset, srcOffset + length)` into `dst` at `dstOffset`. Short runs take a loop
 * and whole arrays a direct `set`: `Buffer#subarray` builds a Buffer (~100 ns), more than a
 * small item's whole store.
 */
export function copyBytes(
  src: Uint8Array,
  srcOffset: number,
  length: number,
  dst: Uint8Array,
  dstOffset: number,
): void {
  if (length <= 16) {
    for (let i = 0; i < length; i++) dst[dstOffset + i] = src[srcOffset + i]!;
  } else if (srcOffset === 0 && length === src.length) {
    dst.set(src, dstOffset);
  } else {
    dst.set(new Uint8Array(src.buffer, src.byteOffset + srcOffset, length), dstOffset);
  }
}

/**
 * Moves values between the slab and callers' buffers (replies out, stores in) eight bytes at a
 * time through DataViews: for a 100-byte value ~20 ns against ~40 ns for a `set` from a fresh
 * view (the view is an allocation). A float64 load and store moves its 8 bytes unchanged (no
 * arithmetic, so NaN payloads survive; a test checks every kind of pattern). Slab pages have
 * DataViews of their own; for the caller's side the view of the last buffer seen is kept, one
 * per direction: a worker fills one reply buffer with many values, and a batch of sets reads
 * its values from one request buffer.
 */
export class WordCopier {
  readonly #out = new LastView();
  readonly #in = new LastView();

  /** Copies the value of `item` into `out` at `outOffset`; returns its length. */
  copyOut(t: SlotTable, item: number, out: Uint8Array, outOffset: number): number {
    const length = t.valueLength(item);
    const start = t.valueOffset(item);
    // a short copy's loop would drop bytes past the end silently
    if (outOffset < 0 || outOffset + length > out.length) {
      throw new RangeError('the value does not fit in the destination at this offset');
    }
    if (length < 16 || length >= MEMMOVE_BYTES) {
      copyBytes(t.bytesOf(item), start, length, out, outOffset);
      return length;
    }
    copyWords(t.bytesOf(item), t.viewOf(item), start, length, out, this.#out.of(out), outOffset);
    return length;
  }

  /**
   * Copies `src[srcOffset, srcOffset + length)` into the chunk of `item` at `at` (an offset in
   * its page, inside the chunk: the caller placed it).
   */
  copyIn(
    src: Uint8Array,
    srcOffset: number,
    length: number,
    t: SlotTable,
    item: number,
    at: number,
  ): void {
    if (srcOffset < 0 || srcOffset + length > src.length) {
      throw new RangeError('the source range lies outside its array');
    }
    if (length < 16 || length >= MEMMOVE_BYTES) {
      copyBytes(src, srcOffset, length, t.bytesOf(item), at);
      return;
    }
    copyWords(src, this.#in.of(src), srcOffset, length, t.bytesOf(item), t.viewOf(item), at);
  }
}

/**
 * A DataView over the last array asked for, made again only for another array, or when the
 * array's length changed (a resizable ArrayBuffer grew or shrank, or it was detached). The
 * length is kept as a number: reading the view's byteLength each time cost a get ~15%.
 */
class LastView {
  #bytes: Uint8Array | undefined;
  #length = 0;
  #view: DataView = new DataView(new ArrayBuffer(0));

  of(bytes: Uint8Array): DataView {
    if (bytes !== this.#bytes || bytes.length !== this.#length) {
      this.#view = viewOf(bytes);
      this.#bytes = bytes;
      this.#length = bytes.length;
    }
    return this.#view;
  }
}

/**
 * A pool that a caller cannot detach by listing a value's `buffer` in a postMessage transfer
 * list (it is copied instead), which would break every later copy: Node guards its Buffer pool
 * the same way.
 */
function newPool(): ArrayBuffer {
  const pool = new ArrayBuffer(POOL_BYTES);
  markAsUntransferable(pool);
  return pool;
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The word loop: `srcView`/`dstView` are DataViews over exactly `src`/`dst`. */
export function copyWords(
  src: Uint8Array,
  srcView: DataView,
  srcOffset: number,
  length: number,
  dst: Uint8Array,
  dstView: DataView,
  dstOffset: number,
): void {
  const words = length & ~7;
  for (let i = 0; i < words; i += 8) {
    dstView.setFloat64(dstOffset + i, srcView.getFloat64(srcOffset + i, true), true);
  }
  for (let i = words; i < length; i++) dst[dstOffset + i] = src[srcOffset + i]!;
}
