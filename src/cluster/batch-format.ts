/**
 * The binary format of the command batches the dispatcher sends a node, and of their replies:
 * one ArrayBuffer per batch, transferred (not cloned) between threads, no JSON and no object per
 * command on the wire. The same format carries migration data: a node exports a partition as a
 * batch of `set` ops that can be sent as-is to another node.
 *
 *   request  = u32 opCount, op*          op    = u8 opcode, u8 keyLength, key, u32 partition, args
 *   reply    = u32 count, result*        result = u8 status, payload
 *
 *   opcode  args                                              replies
 *   GET     –                                                 VALUE | MISS
 *   GAT     f64 ttlMs                                         VALUE | MISS
 *   STORE   u8 mode, u32 flags, f64 ttlMs, u64 cas, u32 n, n bytes    STORED | NOT_STORED | EXISTS | NOT_FOUND
 *   DELETE  –                                                 DELETED | NOT_FOUND
 *   ARITH   u8 isIncrement, u64 delta                         NUMBER | NOT_FOUND
 *   TOUCH   f64 ttlMs                                         TOUCHED | NOT_FOUND
 *   any                                                       ERROR u8 code, u16 n, n bytes of message
 *
 *   VALUE = u32 flags, u64 cas, u32 n, n bytes;  NUMBER = u64 value, u32 flags, f64 ttlMs left
 *   (what replicas need to store the primary's result with the item's flags and expiry).  Integers little-endian; u64 as two
 *   u32 (low first) so that no BigInt is built on the hot path.
 */

import type { StoreMode } from '../storage/cache-node.js';
import { copyBytes } from '../storage/item-copy.js';

export const Op = { GET: 1, GAT: 2, STORE: 3, DELETE: 4, ARITH: 5, TOUCH: 6 } as const;
export type Opcode = (typeof Op)[keyof typeof Op];

export const Status = {
  STORED: 0,
  NOT_STORED: 1,
  EXISTS: 2,
  NOT_FOUND: 3,
  DELETED: 4,
  TOUCHED: 5,
  VALUE: 6,
  MISS: 7,
  NUMBER: 8,
  ERROR: 9,
} as const;
export type StatusCode = (typeof Status)[keyof typeof Status];

export const STORE_MODES = [
  'set',
  'add',
  'replace',
  'append',
  'prepend',
  'cas',
] as const satisfies readonly StoreMode[];

export function storeModeCode(mode: StoreMode): number {
  return STORE_MODES.indexOf(mode);
}

const TWO_32 = 4294967296;

/**
 * An append-only byte buffer that grows by doubling. `take()` hands out the bytes written as a
 * standalone ArrayBuffer (for transfer) and starts a fresh buffer.
 */
export class BatchWriter {
  #bytes: Uint8Array<ArrayBuffer>;
  #view: DataView;
  length = 0;

  constructor(initialBytes = 4096) {
    this.#bytes = new Uint8Array(initialBytes);
    this.#view = new DataView(this.#bytes.buffer);
  }

  #reserve(n: number): void {
    if (this.length + n <= this.#bytes.length) return;
    let size = this.#bytes.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#bytes.subarray(0, this.length));
    this.#bytes = next;
    this.#view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.#reserve(1);
    this.#bytes[this.length++] = v;
  }
  u16(v: number): void {
    this.#reserve(2);
    this.#view.setUint16(this.length, v, true);
    this.length += 2;
  }
  u32(v: number): void {
    this.#reserve(4);
    this.#view.setUint32(this.length, v, true);
    this.length += 4;
  }
  f64(v: number): void {
    this.#reserve(8);
    this.#view.setFloat64(this.length, v, true);
    this.length += 8;
  }
  /** A u64 given as a bigint. */
  u64(v: bigint): void {
    this.u32(Number(v & 0xffffffffn));
    this.u32(Number(v >> 32n));
  }
  /** A u64 given as a float64-exact integer (CAS uniques). */
  u64n(v: number): void {
    this.u32(v % TWO_32);
    this.u32(Math.floor(v / TWO_32));
  }
  bytes(src: Uint8Array, offset = 0, length = src.length - offset): void {
    this.#reserve(length);
    copyBytes(src, offset, length, this.#bytes, this.length);
    this.length += length;
  }
  /** An op's header: opcode, key length, key bytes, partition (one bounds check for all). */
  opHeader(op: number, key: Uint8Array, keyLength: number, partition: number): void {
    this.#reserve(keyLength + 6);
    const bytes = this.#bytes;
    let at = this.length;
    bytes[at++] = op;
    bytes[at++] = keyLength;
    for (let i = 0; i < keyLength; i++) bytes[at + i] = key[i]!;
    at += keyLength;
    this.#view.setUint32(at, partition, true);
    this.length = at + 4;
  }
  /** Room for `n` bytes written by the caller at `target()` + returned offset. */
  reserveBytes(n: number): { bytes: Uint8Array; offset: number } {
    this.#reserve(n);
    const offset = this.length;
    this.length += n;
    return { bytes: this.#bytes, offset };
  }
  setU32At(offset: number, v: number): void {
    this.#view.setUint32(offset, v, true);
  }
  /** The bytes written so far, as a view: valid until the writer is written to or reset. */
  written(): Uint8Array {
    return new Uint8Array(this.#bytes.buffer, 0, this.length);
  }
  /** Starts over (after `written()` was copied). */
  reset(): void {
    this.length = 0;
  }
  /** The bytes written so far, as their own ArrayBuffer; the writer starts over. */
  take(): ArrayBuffer {
    const out = this.#bytes.buffer.slice(0, this.length);
    this.length = 0;
    return out;
  }
}

/** Sequential reads over a batch or reply buffer. */
export class BatchReader {
  /** The bytes read; offsets (`offset`, `skip`'s answers) count from their start. */
  readonly bytes: Uint8Array;
  readonly #buffer: ArrayBufferLike;
  readonly #base: number;
  readonly #view: DataView;
  offset = 0;

  /** Reads `buffer[byteOffset, byteOffset + length)`: a whole reply, or a ring region. */
  constructor(buffer: ArrayBufferLike, byteOffset = 0, length = buffer.byteLength - byteOffset) {
    this.#buffer = buffer;
    this.#base = byteOffset;
    this.bytes = new Uint8Array(buffer, byteOffset, length);
    this.#view = new DataView(buffer, byteOffset, length);
  }

  /** A view of `length` bytes at `at` (shares the buffer: see readValue). */
  view(at: number, length: number): Uint8Array {
    return new Uint8Array(this.#buffer, this.#base + at, length);
  }

  get done(): boolean {
    return this.offset >= this.bytes.length;
  }
  u8(): number {
    return this.bytes[this.offset++]!;
  }
  u16(): number {
    const v = this.#view.getUint16(this.offset, true);
    this.offset += 2;
    return v;
  }
  u32(): number {
    const v = this.#view.getUint32(this.offset, true);
    this.offset += 4;
    return v;
  }
  f64(): number {
    const v = this.#view.getFloat64(this.offset, true);
    this.offset += 8;
    return v;
  }
  u64(): bigint {
    const lo = this.u32();
    const hi = this.u32();
    return (BigInt(hi) << 32n) | BigInt(lo);
  }
  /** Skips `n` bytes and returns where they start. */
  skip(n: number): number {
    const at = this.offset;
    this.offset += n;
    return at;
  }
}
