/**
 * The header at the start of every item's chunk in a slab page (slab-allocator.ts),
 * memcached-style: 48 bytes, then the key, then the value.
 *
 *   ┌─────────────┬─────┬──────────────┬───────┬──────┬──────────┬───────────────────┬───────┬────────────┬─────┬───────┐
 *   │ expiresAtMs │ cas │ lastAccessed │ chain │ slot │ valueLen │ keyLen | accesses │ flags │ createdSec │ key │ value │
 *   └─────────────┴─────┴──────────────┴───────┴──────┴──────────┴───────────────────┴───────┴────────────┴─────┴───────┘
 *
 * A lookup's first line of the chunk holds everything a read needs (lengths, expiry, flags,
 * CAS) next to the key, with the value right after. Every byte counts (slot-table.ts says why):
 * the key's hash is not kept, the key length (≤ 250) shares a word with a 24-bit saturating
 * access count, and the creation time is kept in whole seconds (like memcached's item time).
 *
 * Fields are read in place through the page's int32 and float64 views, by an item's chunk
 * address. The functions here are small enough for V8 to inline; the hot paths (`hitItem`,
 * `stampItem`, `entryOf`) fetch the page's views once for all their fields: through one
 * accessor per field, a get cost ~10% more and a store ~17% more (the calls outran V8's
 * inlining budget).
 */

import type { CacheEntry } from '../types.js';
import { PAGE_SHIFT, type SlabAllocator, UNIT_MASK } from './slab-allocator.js';

/** No item (or no slot): chunk addresses and slots are ≥ 0. */
export const NONE = -1;

/** Bytes before an item's key in its chunk. */
export const HEADER_BYTES = 48;
// float64 fields, in units of 8 bytes
const F_EXPIRES = 0;
const F_CAS = 1;
const F_ACCESSED = 2;
// int32 fields, in units of 4 bytes
export const I_CHAIN = 6;
export const I_SLOT = 7;
export const I_VALUE_LENGTH = 8;
/** key length (≤ 250) in the low byte, the access count above it */
export const I_KEY_COUNT = 9;
const I_FLAGS = 10;
const I_CREATED_SEC = 11;
export const KEY_MASK = 0xff;
const COUNT_ONE = 1 << 8;
/** The access count saturates here: 24 bits. */
export const MAX_ACCESS_COUNT = 0xffffff;

export function getI32(slab: SlabAllocator, item: number, field: number): number {
  return slab.words[item >>> PAGE_SHIFT]![((item & UNIT_MASK) << 1) + field]!;
}
export function setI32(slab: SlabAllocator, item: number, field: number, value: number): void {
  slab.words[item >>> PAGE_SHIFT]![((item & UNIT_MASK) << 1) + field] = value;
}
// a chunk address counts 8-byte units, so it indexes the page's float64 view directly
function getF64(slab: SlabAllocator, item: number, field: number): number {
  return slab.doubles[item >>> PAGE_SHIFT]![(item & UNIT_MASK) + field]!;
}
function setF64(slab: SlabAllocator, item: number, field: number, value: number): void {
  slab.doubles[item >>> PAGE_SHIFT]![(item & UNIT_MASK) + field] = value;
}

/** Offset of the item's key in its page. */
export function keyOffsetOf(item: number): number {
  return ((item & UNIT_MASK) << 3) + HEADER_BYTES;
}
export function expiresAtOf(slab: SlabAllocator, item: number): number {
  return getF64(slab, item, F_EXPIRES);
}
export function setExpiresAt(slab: SlabAllocator, item: number, value: number): void {
  setF64(slab, item, F_EXPIRES, value);
}
export function casOf(slab: SlabAllocator, item: number): number {
  return getF64(slab, item, F_CAS);
}
export function setCasOf(slab: SlabAllocator, item: number, value: number): void {
  setF64(slab, item, F_CAS, value);
}
export function lastAccessedOf(slab: SlabAllocator, item: number): number {
  return getF64(slab, item, F_ACCESSED);
}
export function createdAtOf(slab: SlabAllocator, item: number): number {
  return (getI32(slab, item, I_CREATED_SEC) >>> 0) * 1000;
}
export function flagsOf(slab: SlabAllocator, item: number): number {
  return getI32(slab, item, I_FLAGS) >>> 0;
}

/** A new chunk's header: its slot and lengths, no hits yet; every other field is garbage. */
export function initHeader(
  slab: SlabAllocator,
  item: number,
  slot: number,
  keyLength: number,
  valueLength: number,
): void {
  const words = slab.words[item >>> PAGE_SHIFT]!;
  const at = (item & UNIT_MASK) << 1;
  words[at + I_SLOT] = slot;
  words[at + I_KEY_COUNT] = keyLength;
  words[at + I_VALUE_LENGTH] = valueLength;
}

/**
 * A read of `item` at `nowMs`: when it has not expired, counts the access (saturating at
 * MAX_ACCESS_COUNT), records its time and returns its slot; an expired item is left as it is
 * and NONE returned.
 */
export function hitItem(slab: SlabAllocator, item: number, nowMs: number): number {
  const page = item >>> PAGE_SHIFT;
  const words = slab.words[page]!;
  const doubles = slab.doubles[page]!;
  const at = (item & UNIT_MASK) << 1;
  const expiresAtMs = doubles[(at >> 1) + F_EXPIRES]!;
  if (expiresAtMs !== 0 && expiresAtMs <= nowMs) return NONE;
  const keyCount = words[at + I_KEY_COUNT]!;
  if (keyCount >>> 8 < MAX_ACCESS_COUNT) words[at + I_KEY_COUNT] = keyCount + COUNT_ONE;
  doubles[(at >> 1) + F_ACCESSED] = nowMs;
  return words[at + I_SLOT]!;
}

/**
 * Stamps a just-stored item: its flags, CAS and expiry, creation and access times `nowMs`,
 * and no hits yet.
 */
export function stampItem(
  slab: SlabAllocator,
  item: number,
  flags: number,
  cas: number,
  expiresAtMs: number,
  nowMs: number,
): void {
  const page = item >>> PAGE_SHIFT;
  const words = slab.words[page]!;
  const doubles = slab.doubles[page]!;
  const at = (item & UNIT_MASK) << 1;
  words[at + I_FLAGS] = flags;
  words[at + I_CREATED_SEC] = Math.floor(nowMs / 1000);
  words[at + I_KEY_COUNT] = words[at + I_KEY_COUNT]! & KEY_MASK;
  doubles[(at >> 1) + F_CAS] = cas;
  doubles[(at >> 1) + F_EXPIRES] = expiresAtMs;
  doubles[(at >> 1) + F_ACCESSED] = nowMs;
}

/** `item` as a CacheEntry around `value` (a copy of its value). */
export function entryOf(slab: SlabAllocator, item: number, value: Uint8Array): CacheEntry {
  const page = item >>> PAGE_SHIFT;
  const words = slab.words[page]!;
  const doubles = slab.doubles[page]!;
  const at = (item & UNIT_MASK) << 1;
  const expiresAtMs = doubles[(at >> 1) + F_EXPIRES]!;
  return {
    value,
    flags: words[at + I_FLAGS]! >>> 0,
    cas: BigInt(doubles[(at >> 1) + F_CAS]!),
    createdAtMs: (words[at + I_CREATED_SEC]! >>> 0) * 1000,
    expiresAtMs: expiresAtMs === 0 ? undefined : expiresAtMs,
    lastAccessedMs: doubles[(at >> 1) + F_ACCESSED]!,
    accessCount: words[at + I_KEY_COUNT]! >>> 8,
  };
}
