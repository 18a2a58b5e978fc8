/**
 * Items live in large page buffers carved into fixed-size chunks, memcached-style:
 *
 *   class 0 (8 B)    page ─ [chunk][chunk][chunk] …      free stack: chunk address …
 *   class 20 (168 B) page ─ [chunk][chunk] …  page ─ […]
 *   …
 *   huge (> 512 KiB)       a buffer of its own per item, dropped on free
 *
 * A chunk is named by one int32, its address: page number << 17 | offset / 8 (chunks are
 * 8-byte aligned), so no JS object exists per item and a hash chain can hold addresses. Each
 * page has int32, float64 and DataView views next to its bytes, so that an item's header
 * fields (slot-table.ts) are read in place. Classes step by 8 bytes up to 512 B (small items
 * waste at most 7 bytes), then by 12.5%. A class's first page is small (64 KiB) so that a
 * small node does not reserve a MiB per class; later pages are 1 MiB. 2^14 page numbers of at
 * most 1 MiB each (huge items aside) bound a node at 16 GiB of chunks.
 *
 * Pages are never handed from one class to another (memcached's "slab calcification"): after a
 * big shift in item sizes, `physicalBytes` can exceed the live bytes. It is reported so that
 * `maxMemory` can be set from what the process really holds.
 */

import { OutOfMemoryError } from '../errors.js';

/** The size of a full page. */
const PAGE_STRIDE = 1 << 20;
const FIRST_PAGE_BYTES = 64 * 1024;
const SMALL_STEP = 8;
const SMALL_LIMIT = 512;
const GROWTH = 1.125;
/** Items above this get a buffer of their own. */
const LARGEST_CHUNK = PAGE_STRIDE / 2;

function buildClassSizes(): Float64Array {
  const sizes: number[] = [];
  for (let s = SMALL_STEP; s <= SMALL_LIMIT; s += SMALL_STEP) sizes.push(s);
  let s = SMALL_LIMIT;
  while (s < LARGEST_CHUNK) {
    s = Math.min(LARGEST_CHUNK, Math.ceil((s * GROWTH) / SMALL_STEP) * SMALL_STEP);
    sizes.push(s);
  }
  return Float64Array.from(sizes);
}

const CLASS_SIZES = buildClassSizes();
const HUGE = -1;
const EMPTY = new ArrayBuffer(0);
/** Address layout: page number above, offset in 8-byte units below. */
export const PAGE_SHIFT = 17;
export const UNIT_MASK = (1 << PAGE_SHIFT) - 1;
/** Page numbers an address can hold. */
export const MAX_PAGES = 1 << 14;

/** Size class for `size` bytes, or HUGE. */
function classOf(size: number): number {
  if (size <= SMALL_LIMIT) return size <= SMALL_STEP ? 0 : ((size + SMALL_STEP - 1) >>> 3) - 1;
  if (size > LARGEST_CHUNK) return HUGE;
  // binary search among the geometric classes
  let lo = SMALL_LIMIT / SMALL_STEP;
  let hi = CLASS_SIZES.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (CLASS_SIZES[mid]! >= size) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** A growable stack of free chunk addresses. */
class ChunkStack {
  items = new Int32Array(16);
  length = 0;
  /** Pushes one chunk; returns the bytes the stack's own array grew by (usually 0). */
  push(address: number): number {
    let grownBy = 0;
    if (this.length === this.items.length) {
      const grown = new Int32Array(this.items.length * 2);
      grown.set(this.items);
      grownBy = grown.byteLength - this.items.byteLength;
      this.items = grown;
    }
    this.items[this.length++] = address;
    return grownBy;
  }
}

export class SlabAllocator {
  /** Page bytes by page number; a freed huge page is empty until reused. */
  readonly pages: Uint8Array[] = [];
  /** The same pages as int32 words, float64s and a DataView (one of each per page). */
  readonly words: Int32Array[] = [];
  readonly doubles: Float64Array[] = [];
  readonly views: DataView[] = [];
  readonly #free: ChunkStack[] = [];
  /** Per class: the page being carved and the next unused offset in it. */
  readonly #carvePage = new Int32Array(CLASS_SIZES.length).fill(-1);
  readonly #carveOffset = new Float64Array(CLASS_SIZES.length);
  readonly #pageCount = new Int32Array(CLASS_SIZES.length);
  readonly #freePageNumbers: number[] = [];
  #physicalBytes = 0;
  readonly #maxPages: number;

  /** `maxPages`: page numbers this allocator may use (at most MAX_PAGES). */
  constructor(maxPages = MAX_PAGES) {
    this.#maxPages = Math.min(maxPages, MAX_PAGES);
    for (let c = 0; c < CLASS_SIZES.length; c++) {
      const stack = new ChunkStack();
      this.#free.push(stack);
      this.#physicalBytes += stack.items.byteLength;
    }
  }

  /**
   * Bytes held by page buffers and the free lists' own arrays: a running total, since workers
   * publish it after every batch.
   */
  get physicalBytes(): number {
    return this.#physicalBytes;
  }

  /** The chunk size that `alloc(size)` really takes (for physical accounting and tests). */
  static chunkBytes(size: number): number {
    const c = classOf(size);
    return c === HUGE ? size : CLASS_SIZES[c]!;
  }

  /** True when items of `a` and `b` bytes take chunks of one class. */
  static sameClass(a: number, b: number): boolean {
    return classOf(a) === classOf(b);
  }

  /** True when an item of `size` bytes gets a page of its own (freeing it frees a page number). */
  static isHuge(size: number): boolean {
    return classOf(size) === HUGE;
  }

  /** True when `alloc(size)` would succeed now, without any chunk being freed first. */
  hasRoomFor(size: number): boolean {
    if (this.#freePageNumbers.length > 0 || this.pages.length < this.#maxPages) return true;
    const c = classOf(size);
    if (c === HUGE) return false;
    if (this.#free[c]!.length > 0) return true;
    const page = this.#carvePage[c]!;
    return page >= 0 && this.#carveOffset[c]! + CLASS_SIZES[c]! <= this.pages[page]!.length;
  }

  static pageOf(address: number): number {
    return address >>> PAGE_SHIFT;
  }

  /** Byte offset of the chunk at `address` in its page. */
  static offsetOf(address: number): number {
    return (address & UNIT_MASK) << 3;
  }

  /**
   * Reserves `size` bytes and returns the chunk's address. O(1), or one page allocation.
   * Throws OutOfMemoryError when the node has no page number left.
   */
  alloc(size: number): number {
    const c = classOf(size);
    if (c === HUGE) return this.#newPage(size) << PAGE_SHIFT;
    const free = this.#free[c]!;
    if (free.length > 0) return free.items[--free.length]!;
    const chunk = CLASS_SIZES[c]!;
    let page = this.#carvePage[c]!;
    if (page < 0 || this.#carveOffset[c]! + chunk > this.pages[page]!.length) {
      const pageBytes = this.#pageCount[c] === 0 ? Math.max(FIRST_PAGE_BYTES, chunk) : PAGE_STRIDE;
      page = this.#newPage(pageBytes - (pageBytes % chunk));
      this.#pageCount[c]!++;
      this.#carvePage[c] = page;
      this.#carveOffset[c] = 0;
    }
    const offset = this.#carveOffset[c]!;
    this.#carveOffset[c] = offset + chunk;
    return (page << PAGE_SHIFT) | (offset >>> 3);
  }

  /** Returns the chunk at `address`, which was allocated with the same `size`. */
  free(address: number, size: number): void {
    const c = classOf(size);
    if (c !== HUGE) {
      this.#physicalBytes += this.#free[c]!.push(address);
      return;
    }
    const page = address >>> PAGE_SHIFT;
    this.#physicalBytes -= this.pages[page]!.buffer.byteLength;
    this.#setPage(page, EMPTY, 0);
    this.#freePageNumbers.push(page);
  }

  /** Drops every page (flush). */
  reset(): void {
    this.pages.length = 0;
    this.words.length = 0;
    this.doubles.length = 0;
    this.views.length = 0;
    this.#freePageNumbers.length = 0;
    this.#carvePage.fill(-1);
    this.#pageCount.fill(0);
    this.#physicalBytes = 0;
    for (const stack of this.#free) {
      stack.length = 0;
      this.#physicalBytes += stack.items.byteLength;
    }
  }

  #newPage(bytes: number): number {
    let page = this.#freePageNumbers.pop();
    if (page === undefined) {
      if (this.pages.length >= this.#maxPages) {
        throw new OutOfMemoryError(
          `out of memory: a node holds at most ${this.#maxPages} slab pages`,
        );
      }
      page = this.pages.length;
    }
    // whole 8-byte words, so that the int32 and float64 views cover every chunk
    const buffer = new ArrayBuffer(Math.ceil(bytes / 8) * 8);
    this.#physicalBytes += buffer.byteLength;
    this.#setPage(page, buffer, bytes);
    return page;
  }

  #setPage(page: number, buffer: ArrayBuffer, bytes: number): void {
    this.pages[page] = new Uint8Array(buffer, 0, bytes);
    this.words[page] = new Int32Array(buffer);
    this.doubles[page] = new Float64Array(buffer);
    this.views[page] = new DataView(buffer);
  }
}
