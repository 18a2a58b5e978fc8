/**
 * Copying an item's bytes out of the slab: whole entries for the string API, and the short
 * copies every store and read makes.
 */

import type { CacheEntry } from '../types.js';
import type { SlabAllocator } from './slab-allocator.js';
import type { SlotTable } from './slot-table.js';

/** A copy of the item in `slot` as a CacheEntry (what `CacheNode.get` hands out). */
export function entryCopy(table: SlotTable, slab: SlabAllocator, slot: number): CacheEntry {
  const t = table;
  const page = slab.pages[t.page(slot)]!;
  const start = t.offset(slot) + t.keyLength(slot);
  const expiresAtMs = t.expiresAtMs(slot);
  // Buffer.allocUnsafe takes from Node's pool: ~4× cheaper than a new Uint8Array of its own.
  const value = Buffer.allocUnsafe(t.valueLength(slot));
  copyBytes(page, start, value.length, value, 0);
  return {
    value,
    flags: t.flags(slot),
    cas: BigInt(t.cas(slot)),
    createdAtMs: t.createdAtMs(slot),
    expiresAtMs: expiresAtMs === 0 ? undefined : expiresAtMs,
    lastAccessedMs: t.lastAccessedMs(slot),
    accessCount: t.accessCount(slot),
  };
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
