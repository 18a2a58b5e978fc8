/**
 * The cluster's side of the shared counters (counters.ts): which slot each node owns, and the
 * request counters of node incarnations that died or left, so that totals never go backwards.
 */

import type { CacheStats } from '../types.js';
import {
  addStats,
  clearCounters,
  emptyStats,
  MAX_NODE_SLOTS,
  newCountersBuffer,
  readCounters,
} from './counters.js';

export class CounterSlots {
  /** Shared with every worker node, which publishes into its own slot. */
  readonly buffer = newCountersBuffer();
  readonly view = new BigUint64Array(this.buffer);
  readonly #free: number[] = [];
  /** Request counters of incarnations gone (sizes are not kept: their items are gone too). */
  readonly #retired = emptyStats();

  constructor() {
    for (let i = MAX_NODE_SLOTS - 1; i >= 0; i--) this.#free.push(i);
  }

  /** A slot for a new node, or undefined when all MAX_NODE_SLOTS are taken. */
  take(): number | undefined {
    return this.#free.pop();
  }

  /** Gives back a slot (its node left, or never started). */
  give(slot: number): void {
    this.#free.push(slot);
  }

  /** Zeroes a slot for a new incarnation of its node. */
  clear(slot: number): void {
    clearCounters(this.view, slot);
  }

  read(slot: number): CacheStats {
    return readCounters(this.view, slot);
  }

  /** Folds a dying incarnation's request counters into the retired totals, then zeroes it. */
  retire(slot: number): void {
    const last = readCounters(this.view, slot);
    this.#retired.hits += last.hits;
    this.#retired.misses += last.misses;
    this.#retired.evictions += last.evictions;
    this.#retired.expired += last.expired;
    clearCounters(this.view, slot);
  }

  /** Totals over `slots` (the live nodes) plus everything retired. */
  total(slots: Iterable<number>): CacheStats {
    const total = { ...this.#retired, bytesStored: 0, entryCount: 0, physicalBytes: 0 };
    for (const slot of slots) addStats(total, readCounters(this.view, slot));
    return total;
  }
}
