/**
 * Main ⇄ worker traffic on a node's MessagePort, in order: a command batch travels as its place
 * in the node's shared request ring (a number; request-ring.ts), or as a bare ArrayBuffer when it
 * does not fit there (format in batch-format.ts), and is answered by a reply ArrayBuffer; the
 * rare control requests below travel as small objects. One port carries all of them, so a
 * control request (a migration export, say) sees every batch sent before it.
 */

import type { MessagePort } from 'node:worker_threads';
import type { WireError } from '../errors.js';
import { high32 } from '../ring/hash-ring.js';

/** A hash range (fromExclusive, toInclusive] with ring-diff's wrapping; equal ends = all. */
export interface HashRange {
  readonly fromExclusive: bigint;
  readonly toInclusive: bigint;
}

/**
 * Export and drop requests of one migration phase carry the same `epoch`: a node may list its
 * keys once for all of them, because every write it got before the phase began is in that
 * listing and later writes to the ranges concerned already go where they belong. A worker walks
 * its partitions and ignores it; a remote node's listing is a full `lru_crawler metadump`, which
 * would otherwise be repeated for each of the hundreds of ranges a topology change moves.
 */
export interface PhaseHint {
  readonly epoch?: number;
}

export type ControlRequest =
  /**
   * The items in the range, as a batch of `add` ops another node can apply as-is (`add`, so
   * that a newer write the importer got during the copy is not overwritten).
   */
  | ({ readonly type: 'export' } & HashRange & PhaseHint)
  /** Removes the items in the range (after they were copied where they now belong). */
  | ({ readonly type: 'drop' } & HashRange & PhaseHint)
  /** Every live item held, key (UTF-8) and value: a direct look inside one node (tests, tools). */
  | { readonly type: 'entries' }
  /** memcached's `lru_crawler metadump` lines for every live item (without the `END`). */
  | { readonly type: 'metadump' }
  | { readonly type: 'flush' }
  /** Failure drills: the worker dies of an uncaught error, process.exit or running out of heap. */
  | { readonly type: 'crash'; readonly how: 'throw' | 'exit' | 'oom' };

export type ControlReply =
  | { readonly type: 'exported'; readonly batch: ArrayBuffer; readonly count: number }
  | { readonly type: 'dropped'; readonly count: number }
  | { readonly type: 'entries'; readonly entries: readonly (readonly [string, Uint8Array])[] }
  | { readonly type: 'metadump'; readonly lines: readonly string[] }
  | { readonly type: 'ok' }
  | { readonly type: 'error'; readonly error: WireError };

/**
 * A ring member as the dispatcher and the rebalancer see it, whatever hosts it: a worker thread
 * (worker-node.ts) or a remote memcached-protocol server. Requests are answered in the order
 * sent; a node that dies fails what it still owes with NodeUnavailableError and calls `onDeath`.
 */
export interface ClusterNode {
  readonly id: string;
  readonly isDead: boolean;
  /** Requests sent and not yet answered. */
  readonly pendingCount: number;
  /** Called once, when the node dies (never after `close`). */
  onDeath: (err: Error) => void;
  /** Applies a command batch (batch-format.ts); the buffer is the node's from then on. */
  sendBatch(batch: ArrayBuffer): Promise<ArrayBuffer>;
  /** Like `sendBatch`, for bytes the caller keeps: the node copies them before returning. */
  sendBatchBytes(bytes: Uint8Array): Promise<ArrayBuffer>;
  control(request: ControlRequest): Promise<ControlReply>;
  /** Abrupt stop, as a crash (failover drills). */
  terminate(): Promise<void>;
  /** Graceful stop: answers what it owes, then ends. */
  close(): Promise<void>;
}

/** What the worker is started with (piscina `workerData`). */
export interface NodeWorkerData {
  readonly nodeId: string;
  readonly maxMemory: number;
  readonly policy: string;
  readonly maxItemBytes: number;
  readonly defaultTtlMs: number;
  readonly counters: SharedArrayBuffer;
  readonly counterSlot: number;
  /** How often the worker runs its bounded expiry sweep. */
  readonly sweepIntervalMs: number;
}

/**
 * The piscina task that hands the worker its port, and the ring its request batches are written
 * to (request-ring.ts): a batch in the ring arrives on the port as a number, its place.
 */
export interface AttachTask {
  readonly type: 'attach';
  readonly port: MessagePort;
  readonly requests: SharedArrayBuffer;
}

/** Partition of a key: the top PARTITION_BITS of its ring hash (fixed, see partitionOf). */
export const PARTITION_BITS = 12;
export const PARTITION_COUNT = 1 << PARTITION_BITS;

/**
 * A key's storage partition: the top 12 bits of its xxh64 ring hash, so 4,096 fixed slices of
 * the ring. Finer than the ring's arcs (150 points per node), and unlike a virtual-node id it
 * never changes when points are added, so a migration lists a range's keys from the few
 * partitions it overlaps without re-filing anything.
 */
export function partitionOf(hash: bigint): number {
  return high32(hash) >>> (32 - PARTITION_BITS);
}
