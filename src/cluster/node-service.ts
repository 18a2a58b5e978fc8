/**
 * The worker side of a node: applies command batches to its CacheNode and answers control
 * requests. Lives in src/ so that workers/cache-node.worker.ts stays a thin entry.
 */

import { type CacheError, toWire } from '../errors.js';
import { hashBytes } from '../ring/hasher.js';
import { isHashInRange } from '../ring/ring-diff.js';
import { publishCounters } from '../stats/counters.js';
import type { CacheNode } from '../storage/cache-node.js';
import {
  BatchReader,
  BatchWriter,
  Op,
  STORE_MODES,
  Status,
  storeModeCode,
} from './batch-format.js';
import {
  type ControlReply,
  type ControlRequest,
  type HashRange,
  PARTITION_BITS,
  PARTITION_COUNT,
  partitionOf,
} from './messages.js';

const ERROR_CODES = [
  'INVALID_KEY',
  'INVALID_ARGUMENT',
  'TOO_LARGE',
  'OUT_OF_MEMORY',
  'NOT_NUMERIC',
  'PARSE',
  'NODE_UNAVAILABLE',
  'TIMEOUT',
  'CLOSED',
] as const satisfies readonly CacheError['code'][];

export function errorCodeIndex(code: CacheError['code']): number {
  return ERROR_CODES.indexOf(code);
}

export function errorCodeAt(index: number): CacheError['code'] {
  return ERROR_CODES[index] ?? 'NODE_UNAVAILABLE';
}

export class NodeService {
  readonly #node: CacheNode;
  readonly #counters: BigUint64Array;
  readonly #slot: number;
  readonly #reply = new BatchWriter(64 * 1024);

  constructor(node: CacheNode, counters: SharedArrayBuffer, slot: number) {
    this.#node = node;
    this.#counters = new BigUint64Array(counters);
    this.#slot = slot;
    this.publish();
  }

  publish(): void {
    publishCounters(this.#counters, this.#slot, this.#node.stats());
  }

  /**
   * Applies one batch (`batch[offset, offset + length)`) in order and returns the replies, one
   * per op, in the same order. Nothing read from the batch is kept: its bytes may be reused as
   * soon as the reply is sent.
   */
  applyBatch(batch: ArrayBufferLike, offset = 0, length = batch.byteLength - offset): ArrayBuffer {
    const node = this.#node;
    const r = new BatchReader(batch, offset, length);
    const w = this.#reply;
    const bytes = r.bytes;
    const count = r.u32();
    w.u32(count);
    for (let i = 0; i < count; i++) {
      const op = r.u8();
      const keyLength = r.u8();
      const keyAt = r.skip(keyLength);
      const partition = r.u32();
      try {
        switch (op) {
          case Op.GET:
            this.#writeValue(node.lookup(bytes, keyAt, keyLength));
            break;
          case Op.GAT: {
            // memcached returns the item, then applies the new TTL (even one in the past)
            const ttlMs = r.f64();
            const slot = node.lookup(bytes, keyAt, keyLength);
            this.#writeValue(slot);
            if (slot >= 0) node.touchBytes(bytes, keyAt, keyLength, ttlMs);
            break;
          }
          case Op.STORE: {
            const mode = STORE_MODES[r.u8()] ?? 'set';
            const flags = r.u32();
            const ttlMs = r.f64();
            const casLo = r.u32();
            const casHi = r.u32();
            const valueLength = r.u32();
            const valueAt = r.skip(valueLength);
            const cas = mode === 'cas' ? (BigInt(casHi) << 32n) | BigInt(casLo) : 0n;
            const result = node.storeBytes(
              mode,
              bytes,
              keyAt,
              keyLength,
              bytes,
              valueAt,
              valueLength,
              ttlMs,
              flags,
              cas,
              partition,
            );
            w.u8(
              result === 'stored'
                ? Status.STORED
                : result === 'notStored'
                  ? Status.NOT_STORED
                  : result === 'exists'
                    ? Status.EXISTS
                    : Status.NOT_FOUND,
            );
            break;
          }
          case Op.DELETE:
            w.u8(node.deleteBytes(bytes, keyAt, keyLength) ? Status.DELETED : Status.NOT_FOUND);
            break;
          case Op.ARITH: {
            const isIncrement = r.u8() === 1;
            const delta = r.u64();
            const result = node.incrBytes(bytes, keyAt, keyLength, delta, isIncrement);
            if (result === undefined) w.u8(Status.NOT_FOUND);
            else {
              const slot = node.peekBytes(bytes, keyAt, keyLength);
              w.u8(Status.NUMBER);
              w.u64(result);
              w.u32(slot < 0 ? 0 : node.flagsOf(slot));
              w.f64(slot < 0 ? 0 : node.remainingTtlMs(slot));
            }
            break;
          }
          case Op.TOUCH: {
            const ttlMs = r.f64();
            w.u8(
              node.touchBytes(bytes, keyAt, keyLength, ttlMs) ? Status.TOUCHED : Status.NOT_FOUND,
            );
            break;
          }
          default:
            throw new Error(`unknown opcode ${op}`);
        }
      } catch (err) {
        // every op reads all its arguments before it acts, so the batch stays in step
        this.#writeError(err);
      }
    }
    this.publish();
    return w.take();
  }

  control(request: ControlRequest): ControlReply {
    try {
      switch (request.type) {
        case 'export':
          return this.#export(request);
        case 'drop':
          return { type: 'dropped', count: this.#drop(request) };
        case 'entries':
          return { type: 'entries', entries: this.#allEntries() };
        case 'metadump':
          return { type: 'metadump', lines: this.#metadump() };
        case 'flush':
          this.#node.flush();
          this.publish();
          return { type: 'ok' };
        case 'crash':
          // after the reply has gone out
          setTimeout(() => crash(request.how), 5);
          return { type: 'ok' };
        default:
          throw new Error(`unknown control request ${(request as { type: string }).type}`);
      }
    } catch (err) {
      return { type: 'error', error: toWire(err) };
    }
  }

  sweep(maxEntries: number): void {
    if (this.#node.sweepExpired(maxEntries) > 0) this.publish();
  }

  #writeValue(slot: number): void {
    const w = this.#reply;
    if (slot < 0) {
      w.u8(Status.MISS);
      return;
    }
    const node = this.#node;
    const length = node.valueLength(slot);
    w.u8(Status.VALUE);
    w.u32(node.flagsOf(slot));
    w.u64n(node.casNumberOf(slot));
    w.u32(length);
    const room = w.reserveBytes(length);
    node.copyValue(slot, room.bytes, room.offset);
  }

  #writeError(err: unknown): void {
    const wire = toWire(err);
    const message = Buffer.from(wire.message.slice(0, 1000), 'utf8');
    const w = this.#reply;
    w.u8(Status.ERROR);
    w.u8(errorCodeIndex(wire.code));
    w.u16(message.length);
    w.bytes(message);
  }

  /** Calls `visit` with each live key in `range` (copies), partition by partition. */
  #forEachKeyIn(range: HashRange, visit: (key: Uint8Array) => void): void {
    for (const p of partitionsOverlapping(range)) {
      const isPartial = !isPartitionInside(p, range);
      for (const key of this.#node.partitionKeys(p)) {
        if (isPartial && !isHashInRange(hashBytes(key), range.fromExclusive, range.toInclusive))
          continue;
        visit(key);
      }
    }
  }

  #export(range: HashRange): ControlReply {
    const node = this.#node;
    const out = new BatchWriter();
    out.u32(0);
    let count = 0;
    this.#forEachKeyIn(range, (key) => {
      const slot = node.peekBytes(key, 0, key.length);
      if (slot < 0) return;
      out.u8(Op.STORE);
      out.u8(key.length);
      out.bytes(key);
      out.u32(partitionOf(hashBytes(key)));
      out.u8(storeModeCode('add'));
      out.u32(node.flagsOf(slot));
      out.f64(node.remainingTtlMs(slot));
      out.u32(0);
      out.u32(0);
      const length = node.valueLength(slot);
      out.u32(length);
      const room = out.reserveBytes(length);
      node.copyValue(slot, room.bytes, room.offset);
      count++;
    });
    out.setU32At(0, count);
    return { type: 'exported', batch: out.take(), count };
  }

  #drop(range: HashRange): number {
    const node = this.#node;
    let count = 0;
    this.#forEachKeyIn(range, (key) => {
      if (node.deleteBytes(key, 0, key.length)) count++;
    });
    this.publish();
    return count;
  }

  /**
   * One line per live item in memcached's metadump format: `key` URL-encoded, `exp` a unix time
   * (-1: never), `la` the last access, `cls` the slab class (1: we have no classes to report).
   */
  #metadump(): string[] {
    const node = this.#node;
    const nowSec = Math.floor(Date.now() / 1000);
    const lines: string[] = [];
    for (const p of node.partitionIds()) {
      for (const key of node.partitionKeys(p)) {
        const slot = node.peekBytes(key, 0, key.length);
        if (slot < 0) continue;
        const ttlMs = node.remainingTtlMs(slot);
        const exp = ttlMs === 0 ? -1 : nowSec + Math.ceil(ttlMs / 1000);
        const entry = node.entryAt(slot);
        const la = Math.floor(entry.lastAccessedMs / 1000);
        const fetched = entry.accessCount > 0 ? 'yes' : 'no';
        const size = key.length + entry.value.length;
        lines.push(
          `key=${uriEncode(key)} exp=${exp} la=${la} cas=${entry.cas} fetch=${fetched} cls=1 size=${size}`,
        );
      }
    }
    return lines;
  }

  #allEntries(): [string, Uint8Array][] {
    const node = this.#node;
    const entries: [string, Uint8Array][] = [];
    for (const p of node.partitionIds()) {
      for (const key of node.partitionKeys(p)) {
        const slot = node.peekBytes(key, 0, key.length);
        if (slot < 0) continue;
        const value = new Uint8Array(node.valueLength(slot));
        node.copyValue(slot, value, 0);
        entries.push([Buffer.from(key).toString('utf8'), value]);
      }
    }
    return entries;
  }
}

/** Percent-encodes every byte outside [A-Za-z0-9-._~], as memcached's metadump does. */
export function uriEncode(key: Uint8Array): string {
  let out = '';
  for (const b of key) {
    const isPlain =
      (b >= 0x30 && b <= 0x39) ||
      (b >= 0x41 && b <= 0x5a) ||
      (b >= 0x61 && b <= 0x7a) ||
      b === 0x2d ||
      b === 0x2e ||
      b === 0x5f ||
      b === 0x7e;
    out += isPlain ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Dies the way a worker can die: the cluster must notice each the same way. */
function crash(how: 'throw' | 'exit' | 'oom'): void {
  if (how === 'exit') process.exit(1);
  if (how === 'oom') {
    // fills the heap until resourceLimits ends the thread
    const hoard: number[][] = [];
    for (;;) hoard.push(new Array<number>(1 << 20).fill(hoard.length));
  }
  throw new Error('crash requested (failure drill)');
}

const PARTITION_SHIFT = BigInt(64 - PARTITION_BITS);
const PARTITION_SPAN = 1n << PARTITION_SHIFT;

/** Partitions whose slice of the ring meets the range (all of them for a whole-ring range). */
function partitionsOverlapping(range: HashRange): number[] {
  const { fromExclusive, toInclusive } = range;
  const all = Array.from({ length: PARTITION_COUNT }, (_, p) => p);
  if (fromExclusive === toInclusive) return all;
  const first = partitionOf(fromExclusive);
  const last = partitionOf(toInclusive);
  if (first <= last && fromExclusive < toInclusive) return all.slice(first, last + 1);
  return [...all.slice(first), ...all.slice(0, last + 1)];
}

/** Whether every hash of partition `p` lies in the range. */
function isPartitionInside(p: number, range: HashRange): boolean {
  if (range.fromExclusive === range.toInclusive) return true;
  const start = BigInt(p) * PARTITION_SPAN;
  const end = start + PARTITION_SPAN - 1n;
  // the slice is (start - 1, end]: inside when both its ends are in the range and it does not
  // straddle the range's start
  return (
    isHashInRange(start, range.fromExclusive, range.toInclusive) &&
    isHashInRange(end, range.fromExclusive, range.toInclusive) &&
    !(start <= range.fromExclusive && range.fromExclusive < end)
  );
}
