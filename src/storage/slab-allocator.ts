/**
 * Key and value bytes live in large page buffers carved into fixed-size chunks, memcached-style:
 *
 *   class 0 (8 B)    page ─ [chunk][chunk][chunk] …      free stack: (page, offset) …
 *   class 13 (112 B) page ─ [chunk][chunk] …  page ─ […]
 *   …
 *   huge (> 512 KiB)       a buffer of its own per item, dropped on free
 *
 * A chunk is located by two int32s, its page number and its offset in the page, so no JS object
 * exists per item (and no float division or modulo runs per lookup). Classes step by 8 bytes up to 512 B (small items waste
 * at most 7 bytes), then by 12.5%. A class's first page is small (64 KiB) so that a small node
 * does not reserve a MiB per class; later pages are 1 MiB.
 *
 * Pages are never handed from one class to another (memcached's "slab calcification"): after a
 * big shift in item sizes, `physicalBytes` can exceed the live bytes. It is reported so that
 * `maxMemory` can be set from what the process really holds.
 */

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
const EMPTY = new Uint8Array(0);

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

/** A growable stack of free chunks as (page, offset) pairs. */
class ChunkStack {
  items = new Int32Array(32);
  length = 0;
  /** Pushes one chunk; returns the bytes the stack's own array grew by (usually 0). */
  push(page: number, offset: number): number {
    let grownBy = 0;
    if (this.length + 2 > this.items.length) {
      const grown = new Int32Array(this.items.length * 2);
      grown.set(this.items);
      grownBy = grown.byteLength - this.items.byteLength;
      this.items = grown;
    }
    this.items[this.length++] = page;
    this.items[this.length++] = offset;
    return grownBy;
  }
}

export class SlabAllocator {
  /** Page buffers by page number; a freed huge page is EMPTY until reused. */
  readonly pages: Uint8Array[] = [];
  readonly #free: ChunkStack[] = [];
  /** Per class: the page being carved and the next unused offset in it. */
  readonly #carvePage = new Int32Array(CLASS_SIZES.length).fill(-1);
  readonly #carveOffset = new Float64Array(CLASS_SIZES.length);
  readonly #pageCount = new Int32Array(CLASS_SIZES.length);
  readonly #freePageNumbers: number[] = [];
  #physicalBytes = 0;
  /** Offset within its page of the chunk the last `alloc` returned. */
  allocatedOffset = 0;

  constructor() {
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

  /**
   * Reserves `size` bytes: returns the page number and leaves the offset in
   * `allocatedOffset`. O(1), or one page allocation.
   */
  alloc(size: number): number {
    const c = classOf(size);
    if (c === HUGE) {
      this.allocatedOffset = 0;
      return this.#newPage(size);
    }
    const free = this.#free[c]!;
    if (free.length > 0) {
      this.allocatedOffset = free.items[--free.length]!;
      return free.items[--free.length]!;
    }
    const chunk = CLASS_SIZES[c]!;
    let page = this.#carvePage[c]!;
    if (page < 0 || this.#carveOffset[c]! + chunk > this.pages[page]!.length) {
      const pageBytes = this.#pageCount[c] === 0 ? Math.max(FIRST_PAGE_BYTES, chunk) : PAGE_STRIDE;
      page = this.#newPage(pageBytes - (pageBytes % chunk));
      this.#pageCount[c]!++;
      this.#carvePage[c] = page;
      this.#carveOffset[c] = 0;
    }
    this.allocatedOffset = this.#carveOffset[c]!;
    this.#carveOffset[c] = this.allocatedOffset + chunk;
    return page;
  }

  /** Returns the chunk at (`page`, `offset`), which was allocated with the same `size`. */
  free(page: number, offset: number, size: number): void {
    const c = classOf(size);
    if (c !== HUGE) {
      this.#physicalBytes += this.#free[c]!.push(page, offset);
      return;
    }
    this.#physicalBytes -= this.pages[page]!.length;
    this.pages[page] = EMPTY;
    this.#freePageNumbers.push(page);
  }

  /** Drops every page (flush). */
  reset(): void {
    this.pages.length = 0;
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
    const buffer = new Uint8Array(bytes);
    this.#physicalBytes += bytes;
    const reused = this.#freePageNumbers.pop();
    if (reused !== undefined) {
      this.pages[reused] = buffer;
      return reused;
    }
    this.pages.push(buffer);
    return this.pages.length - 1;
  }
}
