/**
 * The FIFO that puts a connection's replies back in request order: each request takes a slot at
 * the tail when it is decoded; replies settle in any order; only settled slots at the head are
 * encoded.
 */

import type { ByteWriter } from '../protocol/byte-writer.js';
import type { CacheResponse } from '../protocol/commands.js';
import { encodeResponse } from '../protocol/encoder.js';

const PENDING: unique symbol = Symbol('pending');
/** A reply slot: pending, a response to encode, or a reply already in bytes. */
type Slot = CacheResponse | Uint8Array | typeof PENDING;

const NONE: CacheResponse = { type: 'none' };

/**
 * Guarantees: replies are encoded in the order their slots were taken, each exactly once, and a
 * reply is never encoded while an earlier slot is pending. Memory is one array entry per request
 * not yet encoded; encoded entries are released as the head moves.
 */
export class ReplyQueue {
  /** `#slots[i]` belongs to ticket `#base + i`. */
  #slots: Slot[] = [];
  #base = 0;
  /** Index in `#slots` of the oldest reply not yet encoded. */
  #head = 0;

  /** Requests whose replies are not yet encoded. */
  get length(): number {
    return this.#slots.length - this.#head;
  }

  /** True when the oldest slot holds a reply ready to encode. */
  get isHeadReady(): boolean {
    const slot = this.#slots[this.#head];
    return slot !== undefined && slot !== PENDING;
  }

  /** Takes a slot for a reply still to come; returns its ticket for `settle`. */
  reserve(): number {
    this.#slots.push(PENDING);
    return this.#base + this.#slots.length - 1;
  }

  /** Takes a slot whose reply is already known. */
  push(reply: CacheResponse | Uint8Array): void {
    this.#slots.push(reply);
  }

  /** Fills the slot of `ticket`. */
  settle(ticket: number, reply: CacheResponse): void {
    this.#slots[ticket - this.#base] = reply;
  }

  /**
   * Encodes ready replies from the head into `writer` while `writer.length` stays under
   * `budgetBytes` (the first reply always goes, so a large one cannot block the queue).
   */
  encodeReady(writer: ByteWriter, budgetBytes: number): void {
    const slots = this.#slots;
    let head = this.#head;
    while (head < slots.length) {
      const slot = slots[head]!;
      if (slot === PENDING || (writer.length > 0 && writer.length >= budgetBytes)) break;
      slots[head++] = NONE;
      if (slot instanceof Uint8Array) writer.bytes(slot);
      else encodeResponse(slot, writer);
    }
    // Compact: reset when empty (the common case), else drop a long encoded prefix.
    if (head === slots.length) {
      this.#base += head;
      slots.length = 0;
      head = 0;
    } else if (head > 1024 && head * 2 > slots.length) {
      slots.splice(0, head);
      this.#base += head;
      head = 0;
    }
    this.#head = head;
  }

  /** Drops every slot (the connection closed). */
  clear(): void {
    this.#slots = [];
    this.#head = 0;
  }
}
