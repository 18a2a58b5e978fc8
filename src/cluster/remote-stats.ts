/**
 * Counters and identity of a remote node, from what the main thread sees: hits and misses are
 * counted from GET/GAT outcomes (the server's own get_hits would also count migration reads and
 * every other client), entry count and bytes come from the server's `stats` (curr_items, bytes),
 * evictions are the server's since this incarnation connected. `expired` and `physicalBytes`
 * are reported as 0: memcached does not count expirations exactly, and its memory is not this
 * process's. They are published into the node's slot of the cluster's shared counters, where
 * `DistributedCache.stats()` reads worker nodes' counters too.
 *
 * The same `stats` reply identifies the server process: its `pid` and start time (`time` -
 * `uptime`, constant for one process). A different identity on a new connection means the
 * server restarted and lost its data.
 */

import type { ReplyPart } from '../protocol/reply-decoder.js';
import { publishCounters } from '../stats/counters.js';
import type { ReplyHandler } from './remote-connection.js';

/** The cluster's shared counters and the slot this node publishes into. */
export interface CounterSlot {
  readonly view: BigUint64Array;
  readonly slot: number;
}

/** One incarnation's counters and the identity of the process that answers. */
export class RemoteStats {
  readonly #target: CounterSlot | undefined;
  #identity: string | undefined;
  #hits = 0;
  #misses = 0;
  #entryCount = 0;
  #bytesStored = 0;
  #evictions = 0;
  #evictionsAtStart: number | undefined;

  constructor(target: CounterSlot | undefined) {
    this.#target = target;
  }

  noteRead(isHit: boolean): void {
    if (isHit) this.#hits++;
    else this.#misses++;
  }

  /**
   * Takes in a `stats` reply. Returns false when it comes from another process than the first
   * reply did (the server restarted); a server that reports no pid is never judged so.
   */
  absorb(parts: readonly ReplyPart[]): boolean {
    const stat = new Map<string, string>();
    for (const part of parts) if (part.type === 'stat') stat.set(part.name, part.value);
    const pid = stat.get('pid');
    const startedSec = Number(stat.get('time')) - Number(stat.get('uptime'));
    if (pid !== undefined && Number.isFinite(startedSec)) {
      const identity = `${pid}@${startedSec}`;
      this.#identity ??= identity;
      if (identity !== this.#identity) return false;
    }
    this.#entryCount = toCount(stat.get('curr_items'));
    this.#bytesStored = toCount(stat.get('bytes'));
    const evictions = toCount(stat.get('evictions'));
    this.#evictionsAtStart ??= evictions;
    this.#evictions = Math.max(0, evictions - this.#evictionsAtStart);
    return true;
  }

  /** Writes the counters into the node's slot (no-op without one). */
  publish(): void {
    const target = this.#target;
    if (target === undefined) return;
    publishCounters(target.view, target.slot, {
      hits: this.#hits,
      misses: this.#misses,
      evictions: this.#evictions,
      expired: 0,
      bytesStored: this.#bytesStored,
      entryCount: this.#entryCount,
      physicalBytes: 0,
    });
  }
}

function toCount(text: string | undefined): number {
  const n = Number(text ?? 0);
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
}

/** Collects a `stats` reply's lines and hands them over; a failure is the connection's to report. */
export class StatsHandler implements ReplyHandler {
  readonly isWrite = false;
  readonly #done: (parts: readonly ReplyPart[]) => void;
  readonly #parts: ReplyPart[] = [];

  constructor(done: (parts: readonly ReplyPart[]) => void) {
    this.#done = done;
  }

  onPart(part: ReplyPart): void {
    this.#parts.push(part);
  }

  onReply(): boolean {
    this.#done(this.#parts);
    return true;
  }

  onFail(): void {}
}
