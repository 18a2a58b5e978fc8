/**
 * A command batch (batch-format.ts) run on a memcached-protocol server: each op becomes text
 * commands, written with the project's encoder, and each reply becomes the op's result in the
 * batch reply, with the statuses and payloads NodeService writes for a worker node:
 *
 *   op       command(s)                          reply → status
 *   GET      gets <key>                          VALUE → VALUE (flags, cas, bytes) | END → MISS
 *   GAT      gats <exptime> <key>                likewise
 *   STORE    set|add|replace|append|prepend|cas  STORED | NOT_STORED | EXISTS | NOT_FOUND
 *   DELETE   delete <key>                        DELETED | NOT_FOUND
 *   ARITH    incr|decr <key> <delta>, then       <n> → NUMBER (n, flags, ttl left) | NOT_FOUND
 *            mg <key> f t   (meta servers)       the flags and TTL the other replicas need
 *            gets <key>     (others: flags only, TTL reported as 0, "none")
 *   TOUCH    touch <key> <exptime>               TOUCHED | NOT_FOUND
 *   any      CLIENT_ERROR / SERVER_ERROR / ERROR → ERROR with the worker's error code
 *
 * Ops go to the pool's connections by partition, so every op on one key travels one connection
 * and the server applies them in the order sent, as a worker node would.
 */

import { type CacheError, fromWire, InvalidKeyError, toWire } from '../errors.js';
import { ByteWriter } from '../protocol/byte-writer.js';
import type { CacheCommand } from '../protocol/commands.js';
import { encodeCommand } from '../protocol/encoder.js';
import { ttlMsToExptime } from '../protocol/exptime.js';
import { isValidKey } from '../protocol/limits.js';
import type { FinalReply, ReplyPart, ReplyStatus } from '../protocol/reply-decoder.js';
import { BatchReader, BatchWriter, Op, STORE_MODES, Status } from './batch-format.js';
import { errorCodeIndex } from './node-service.js';
import { type ReplyHandler, remoteError } from './remote-connection.js';

/** What a batch needs from the node that runs it. */
export interface BatchSink {
  readonly poolSize: number;
  /** The server speaks the meta protocol (`mg`): ARITH can read back flags and TTL. */
  readonly hasMeta: boolean;
  /** TTL for a STORE whose ttlMs is 0, as a worker node applies its `defaultTtlMs`. */
  readonly defaultTtlMs: number;
  /** Writes commands on connection `index` of the pool. */
  send(index: number, bytes: Uint8Array, handlers: readonly ReplyHandler[]): void;
  /** A GET or GAT found (`isHit`) or missed its key. */
  noteRead(isHit: boolean): void;
}

type Outcome =
  | { readonly kind: 'status'; readonly status: number }
  | {
      readonly kind: 'value';
      readonly flags: number;
      readonly cas: bigint;
      readonly value: Uint8Array;
    }
  | {
      readonly kind: 'number';
      readonly value: bigint;
      readonly flags: number;
      readonly ttlMs: number;
    }
  | { readonly kind: 'error'; readonly error: CacheError };

const STATUS_OUTCOMES = new Map<number, Outcome>(
  Object.values(Status).map((status): [number, Outcome] => [status, { kind: 'status', status }]),
);
function statusOutcome(status: number): Outcome {
  return STATUS_OUTCOMES.get(status)!;
}

const STORE_STATUSES: ReadonlyMap<ReplyStatus, number> = new Map([
  ['STORED', Status.STORED],
  ['NOT_STORED', Status.NOT_STORED],
  ['EXISTS', Status.EXISTS],
  ['NOT_FOUND', Status.NOT_FOUND],
]);
const DELETE_STATUSES: ReadonlyMap<ReplyStatus, number> = new Map([
  ['DELETED', Status.DELETED],
  ['NOT_FOUND', Status.NOT_FOUND],
]);
const TOUCH_STATUSES: ReadonlyMap<ReplyStatus, number> = new Map([
  ['TOUCHED', Status.TOUCHED],
  ['NOT_FOUND', Status.NOT_FOUND],
]);

/**
 * Sends the batch's ops through `sink` and resolves with the batch reply (one result per op, in
 * op order) once every op is answered. Never rejects: a failed op is an ERROR result, with
 * NODE_UNAVAILABLE when its connection broke.
 */
export function runBatch(batch: ArrayBuffer, sink: BatchSink): Promise<ArrayBuffer> {
  return new Promise((resolve) => {
    const r = new BatchReader(batch);
    const bytes = r.bytes;
    const count = r.u32();
    const run = new BatchRun(count, resolve);
    // One writer for every connection: each command is taken as its own view as soon as it is
    // written (a ByteWriter copies what it holds untaken whenever it grows, so letting a whole
    // batch accumulate in it would be quadratic), and each connection's views are joined once.
    const w = new ByteWriter(64 * 1024);
    const parts: Uint8Array[][] = [];
    const handlers: ReplyHandler[][] = [];
    const nowMs = Date.now();
    for (let i = 0; i < count; i++) {
      const op = r.u8();
      const keyLength = r.u8();
      const keyAt = r.skip(keyLength);
      const partition = r.u32();
      const index = partition % sink.poolSize;
      // Every op reads all its arguments before anything can fail, so the reader stays in step.
      let command: CacheCommand | undefined;
      let handler: ReplyHandler;
      let followUp: Uint8Array | undefined;
      const key = Buffer.from(bytes.buffer, bytes.byteOffset + keyAt, keyLength).toString('utf8');
      switch (op) {
        case Op.GET:
          command = { type: 'gets', keys: [key] };
          handler = new RetrievalOp(run, i, false, sink);
          break;
        case Op.GAT: {
          const exptime = ttlMsToExptime(r.f64(), nowMs);
          command = { type: 'gats', exptime, keys: [key] };
          handler = new RetrievalOp(run, i, true, sink);
          break;
        }
        case Op.STORE: {
          const mode = STORE_MODES[r.u8()] ?? 'set';
          const flags = r.u32();
          const ttlMs = r.f64();
          const cas = r.u64();
          const valueLength = r.u32();
          const valueAt = r.skip(valueLength);
          const value = new Uint8Array(bytes.buffer, bytes.byteOffset + valueAt, valueLength);
          const exptime = ttlMsToExptime(ttlMs === 0 ? sink.defaultTtlMs : ttlMs, nowMs);
          command =
            mode === 'cas'
              ? { type: 'cas', key, flags, exptime, value, cas, noreply: false }
              : { type: mode, key, flags, exptime, value, noreply: false };
          handler = new StatusOp(run, i, STORE_STATUSES, mode);
          break;
        }
        case Op.DELETE:
          command = { type: 'delete', key, noreply: false };
          handler = new StatusOp(run, i, DELETE_STATUSES, 'delete');
          break;
        case Op.ARITH: {
          const isIncrement = r.u8() === 1;
          const delta = r.u64();
          command = { type: isIncrement ? 'incr' : 'decr', key, delta, noreply: false };
          handler = new ArithOp(run, i);
          followUp = sink.hasMeta ? metaFlagsAndTtl(keyAt, keyLength, bytes) : undefined;
          break;
        }
        case Op.TOUCH: {
          const exptime = ttlMsToExptime(r.f64(), nowMs);
          command = { type: 'touch', key, exptime, noreply: false };
          handler = new StatusOp(run, i, TOUCH_STATUSES, 'touch');
          break;
        }
        default:
          run.finish(i, { kind: 'error', error: toCacheError(new Error(`unknown opcode ${op}`)) });
          continue;
      }
      if (!isValidKey(key)) {
        // checked here: the encoder would throw after writing part of the command line
        run.finish(i, { kind: 'error', error: new InvalidKeyError() });
        continue;
      }
      encodeCommand(command, w);
      if (op === Op.ARITH) {
        if (followUp !== undefined) w.bytes(followUp);
        else encodeCommand({ type: 'gets', keys: [key] }, w);
      }
      if (parts[index] === undefined) {
        parts[index] = [];
        handlers[index] = [];
      }
      parts[index]!.push(w.take());
      handlers[index]!.push(handler);
      if (op === Op.ARITH) handlers[index]!.push(handler);
    }
    for (let index = 0; index < parts.length; index++) {
      const commands = parts[index];
      if (commands === undefined) continue;
      const bytes = commands.length === 1 ? commands[0]! : Buffer.concat(commands);
      sink.send(index, bytes, handlers[index]!);
    }
    run.sealIfEmpty();
  });
}

/** `mg <key> f t\r\n`: flags and remaining TTL, no value (protocol.txt "Meta Get"). */
function metaFlagsAndTtl(keyAt: number, keyLength: number, bytes: Uint8Array): Uint8Array {
  const line = new Uint8Array(keyLength + 9);
  line.set([0x6d, 0x67, 0x20]); // "mg "
  line.set(bytes.subarray(keyAt, keyAt + keyLength), 3);
  line.set([0x20, 0x66, 0x20, 0x74, 0x0d, 0x0a], keyLength + 3); // " f t\r\n"
  return line;
}

/** The outcomes of one batch, written as the batch reply when the last op is answered. */
class BatchRun {
  readonly #outcomes: (Outcome | undefined)[];
  #left: number;
  readonly #resolve: (reply: ArrayBuffer) => void;

  constructor(count: number, resolve: (reply: ArrayBuffer) => void) {
    this.#outcomes = new Array<Outcome | undefined>(count);
    this.#left = count;
    this.#resolve = resolve;
  }

  finish(index: number, outcome: Outcome): void {
    if (this.#outcomes[index] !== undefined) return;
    this.#outcomes[index] = outcome;
    if (--this.#left === 0) this.#resolve(this.#write());
  }

  /** An empty batch has nothing to wait for. */
  sealIfEmpty(): void {
    if (this.#outcomes.length === 0) this.#resolve(this.#write());
  }

  #write(): ArrayBuffer {
    const w = new BatchWriter(256 + this.#outcomes.length * 16);
    w.u32(this.#outcomes.length);
    for (const outcome of this.#outcomes) {
      switch (outcome!.kind) {
        case 'status':
          w.u8(outcome!.status);
          break;
        case 'value':
          w.u8(Status.VALUE);
          w.u32(outcome!.flags);
          w.u64(outcome!.cas);
          w.u32(outcome!.value.length);
          w.bytes(outcome!.value);
          break;
        case 'number':
          w.u8(Status.NUMBER);
          w.u64(outcome!.value);
          w.u32(outcome!.flags);
          w.f64(outcome!.ttlMs);
          break;
        case 'error': {
          const wire = toWire(outcome!.error);
          const message = Buffer.from(wire.message.slice(0, 1000), 'utf8');
          w.u8(Status.ERROR);
          w.u8(errorCodeIndex(wire.code));
          w.u16(message.length);
          w.bytes(message);
          break;
        }
      }
    }
    return w.take();
  }
}

/** A typed error for anything thrown (an unexpected one becomes NODE_UNAVAILABLE, as a worker's would). */
function toCacheError(err: unknown): CacheError {
  return fromWire(toWire(err));
}

/** GET / GAT: one VALUE part or none, then END. */
class RetrievalOp implements ReplyHandler {
  readonly isWrite: boolean;
  readonly #run: BatchRun;
  readonly #index: number;
  readonly #sink: BatchSink;
  #value: ReplyPart | undefined;

  constructor(run: BatchRun, index: number, isWrite: boolean, sink: BatchSink) {
    this.#run = run;
    this.#index = index;
    this.isWrite = isWrite;
    this.#sink = sink;
  }

  onPart(part: ReplyPart): void {
    if (part.type === 'value') this.#value = part;
  }

  onReply(reply: FinalReply): boolean {
    if (reply.type === 'error') {
      this.#run.finish(this.#index, { kind: 'error', error: remoteError(reply, 'gets') });
      return true;
    }
    if (reply.type !== 'end') return false;
    const part = this.#value;
    if (part?.type === 'value') {
      this.#sink.noteRead(true);
      const value = part.value;
      this.#run.finish(this.#index, {
        kind: 'value',
        flags: part.flags,
        cas: part.cas ?? 0n,
        value,
      });
    } else {
      this.#sink.noteRead(false);
      this.#run.finish(this.#index, statusOutcome(Status.MISS));
    }
    return true;
  }

  onFail(err: Error): void {
    this.#run.finish(this.#index, { kind: 'error', error: toCacheError(err) });
  }
}

/** STORE / DELETE / TOUCH: one status line. */
class StatusOp implements ReplyHandler {
  readonly isWrite = true;
  readonly #run: BatchRun;
  readonly #index: number;
  readonly #statuses: ReadonlyMap<ReplyStatus, number>;
  readonly #command: string;

  constructor(
    run: BatchRun,
    index: number,
    statuses: ReadonlyMap<ReplyStatus, number>,
    command: string,
  ) {
    this.#run = run;
    this.#index = index;
    this.#statuses = statuses;
    this.#command = command;
  }

  onPart(): void {}

  onReply(reply: FinalReply): boolean {
    if (reply.type === 'error') {
      this.#run.finish(this.#index, { kind: 'error', error: remoteError(reply, this.#command) });
      return true;
    }
    const status = reply.type === 'status' ? this.#statuses.get(reply.status) : undefined;
    if (status === undefined) return false;
    this.#run.finish(this.#index, statusOutcome(status));
    return true;
  }

  onFail(err: Error): void {
    this.#run.finish(this.#index, { kind: 'error', error: toCacheError(err) });
  }
}

/** ARITH: the incr/decr reply, then the follow-up read of flags and TTL (two finals). */
class ArithOp implements ReplyHandler {
  readonly isWrite = true;
  readonly #run: BatchRun;
  readonly #index: number;
  #first: Outcome | undefined;
  #flags = 0;

  constructor(run: BatchRun, index: number) {
    this.#run = run;
    this.#index = index;
  }

  onPart(part: ReplyPart): void {
    if (part.type === 'value') this.#flags = part.flags;
  }

  onReply(reply: FinalReply): boolean {
    if (this.#first === undefined) return this.#onArith(reply);
    let ttlMs = 0;
    if (reply.type === 'meta' && (reply.code === 'HD' || reply.code === 'VA')) {
      for (const token of reply.flags) {
        const n = Number(token.slice(1));
        if (!Number.isInteger(n)) continue;
        if (token.startsWith('f')) this.#flags = n >>> 0;
        // whole seconds left, -1 for none; a last partial second (0) counts as one, so the
        // other replicas never expire the result before the primary does
        else if (token.startsWith('t')) ttlMs = n < 0 ? 0 : Math.max(n, 1) * 1000;
      }
    } else if (reply.type !== 'end' && reply.type !== 'meta' && reply.type !== 'error') {
      return false;
    }
    const first = this.#first;
    this.#run.finish(
      this.#index,
      first.kind === 'number' ? { ...first, flags: this.#flags, ttlMs } : first,
    );
    return true;
  }

  #onArith(reply: FinalReply): boolean {
    if (reply.type === 'number') {
      this.#first = { kind: 'number', value: reply.value, flags: 0, ttlMs: 0 };
    } else if (reply.type === 'status' && reply.status === 'NOT_FOUND') {
      this.#first = statusOutcome(Status.NOT_FOUND);
    } else if (reply.type === 'error') {
      this.#first = { kind: 'error', error: remoteError(reply, 'incr/decr') };
    } else {
      return false;
    }
    this.#flags = 0;
    return true;
  }

  onFail(err: Error): void {
    this.#run.finish(this.#index, { kind: 'error', error: toCacheError(err) });
  }
}
