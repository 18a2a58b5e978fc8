/**
 * Per-node command batching. Commands issued in the same turn of the event loop for the same node
 * are written into one binary batch (batch-format.ts) and sent as one message (ioredis's
 * auto-pipelining); replies come back in order and are matched to their handlers by position.
 * When the node has a batch in flight, the flush waits for `setImmediate`: replies from several
 * nodes arrive as separate messages in one poll phase, and flushing after each would split the
 * callers they wake into ever smaller batches (measured: one op per batch under a closed loop of
 * 256 callers). An idle node is flushed at the end of the tick, for latency. A node's batches are
 * applied in the order sent, so every replica of a key sees its writes in the same order.
 */

import { type CacheError, fromWire, NodeUnavailableError } from '../errors.js';
import type { StoreMode } from '../storage/cache-node.js';
import type { NodeInfo } from '../types.js';
import { BatchReader, BatchWriter, Op, Status, storeModeCode } from './batch-format.js';
import type { ClusterNode, ControlReply, ControlRequest } from './messages.js';
import { errorCodeAt } from './node-service.js';
import { ReplyPoller } from './reply-poller.js';

/** Receives one op's outcome. `onReply` must read exactly the op's payload from `r`. */
export interface OpHandler {
  onReply(status: number, r: BatchReader): void;
  onFail(err: Error): void;
}

/** A batch grows past this before the tick ends: send it and start another. */
const BATCH_FLUSH_BYTES = 1 << 20;

/** Where a node stands: `joining` nodes take writes (they are being filled) but serve no reads. */
export type NodeState = 'joining' | 'alive' | 'dead';

export class NodeLink {
  readonly info: NodeInfo;
  readonly counterSlot: number;
  node: ClusterNode;
  state: NodeState;
  #writer = new BatchWriter(16 * 1024);
  #spare = new BatchWriter(16 * 1024);
  #count = 0;
  #handlers: OpHandler[] = [];
  #isScheduled = false;
  readonly #flush = (): void => this.flush();
  readonly #poller: ReplyPoller;

  constructor(
    info: NodeInfo,
    node: ClusterNode,
    counterSlot: number,
    state: NodeState,
    poller = new ReplyPoller(0),
  ) {
    this.info = info;
    this.node = node;
    this.counterSlot = counterSlot;
    this.state = state;
    this.#poller = poller;
  }

  get id(): string {
    return this.info.id;
  }

  /** Reads go only to alive nodes; writes also to joining ones. */
  get isReadable(): boolean {
    return this.state === 'alive';
  }

  get isWritable(): boolean {
    return this.state !== 'dead';
  }

  addGet(key: Uint8Array, keyLength: number, partition: number, handler: OpHandler): void {
    this.#header(Op.GET, key, keyLength, partition, handler);
  }

  addGat(
    key: Uint8Array,
    keyLength: number,
    partition: number,
    ttlMs: number,
    handler: OpHandler,
  ): void {
    this.#header(Op.GAT, key, keyLength, partition, handler);
    this.#writer.f64(ttlMs);
  }

  addStore(
    key: Uint8Array,
    keyLength: number,
    partition: number,
    mode: StoreMode,
    flags: number,
    ttlMs: number,
    cas: bigint,
    value: Uint8Array,
    handler: OpHandler,
  ): void {
    const w = this.#writer;
    this.#header(Op.STORE, key, keyLength, partition, handler);
    w.u8(storeModeCode(mode));
    w.u32(flags);
    w.f64(ttlMs);
    if (cas === 0n) {
      w.u32(0);
      w.u32(0);
    } else w.u64(cas);
    w.u32(value.length);
    w.bytes(value);
    this.#maybeFlushEarly();
  }

  addDelete(key: Uint8Array, keyLength: number, partition: number, handler: OpHandler): void {
    this.#header(Op.DELETE, key, keyLength, partition, handler);
  }

  addArith(
    key: Uint8Array,
    keyLength: number,
    partition: number,
    isIncrement: boolean,
    delta: bigint,
    handler: OpHandler,
  ): void {
    this.#header(Op.ARITH, key, keyLength, partition, handler);
    this.#writer.u8(isIncrement ? 1 : 0);
    this.#writer.u64(delta);
  }

  addTouch(
    key: Uint8Array,
    keyLength: number,
    partition: number,
    ttlMs: number,
    handler: OpHandler,
  ): void {
    this.#header(Op.TOUCH, key, keyLength, partition, handler);
    this.#writer.f64(ttlMs);
  }

  /** Sends the pending batch now (normally done at the end of the tick). */
  flush(): void {
    this.#isScheduled = false;
    if (this.#count === 0) return;
    // the batch leaves from one writer while ops added meanwhile go to the other
    const w = this.#writer;
    this.#writer = this.#spare;
    this.#spare = w;
    w.setU32At(0, this.#count);
    const handlers = this.#handlers;
    this.#handlers = [];
    this.#count = 0;
    const poller = this.#poller;
    poller.sent();
    let reply: Promise<ArrayBuffer>;
    try {
      reply = this.node.sendBatchBytes(w.written());
    } catch (err) {
      reply = Promise.reject(err);
    } finally {
      w.reset();
    }
    reply.then(
      (reply) => {
        poller.settled();
        deliver(reply, handlers);
      },
      (err: Error) => {
        poller.settled();
        for (const h of handlers) h.onFail(err);
      },
    );
  }

  /**
   * A control request, sent after every op already queued for this node: the pending batch
   * goes first, so an export sees every earlier write and a drop is applied after them.
   */
  control(request: ControlRequest): Promise<ControlReply> {
    this.flush();
    return this.node.control(request);
  }

  /** A ready-made batch (a migration's import), likewise after everything queued before it. */
  sendBatch(batch: ArrayBuffer): Promise<ArrayBuffer> {
    this.flush();
    return this.node.sendBatch(batch);
  }

  /** Fails the ops not yet sent (the node died before the tick ended). */
  failPending(err: Error): void {
    const handlers = this.#handlers;
    this.#handlers = [];
    this.#count = 0;
    this.#writer.reset();
    for (const h of handlers) h.onFail(err);
  }

  #header(
    op: number,
    key: Uint8Array,
    keyLength: number,
    partition: number,
    handler: OpHandler,
  ): void {
    const w = this.#writer;
    if (this.#count === 0) w.u32(0); // op count, filled in at flush
    this.#count++;
    this.#handlers.push(handler);
    w.opHeader(op, key, keyLength, partition);
    if (!this.#isScheduled) {
      this.#isScheduled = true;
      // An idle node gets the batch at the end of this tick (lowest latency); a busy one at the
      // end of this turn of the event loop, gathering the callers that other replies wake.
      if (this.node.pendingCount === 0) queueMicrotask(this.#flush);
      else setImmediate(this.#flush);
    }
  }

  #maybeFlushEarly(): void {
    if (this.#writer.length >= BATCH_FLUSH_BYTES) this.flush();
  }
}

function deliver(reply: ArrayBuffer, handlers: readonly OpHandler[]): void {
  const r = new BatchReader(reply);
  const count = r.u32();
  for (let i = 0; i < count; i++) {
    const handler = handlers[i]!;
    const status = r.u8();
    if (status === Status.ERROR) {
      handler.onFail(readError(r));
      continue;
    }
    handler.onReply(status, r);
  }
  if (count !== handlers.length) {
    const err = new NodeUnavailableError(
      `reply has ${count} results for ${handlers.length} commands`,
    );
    for (let i = count; i < handlers.length; i++) handlers[i]!.onFail(err);
  }
}

function readError(r: BatchReader): CacheError {
  const code = errorCodeAt(r.u8());
  const length = r.u16();
  const at = r.skip(length);
  return fromWire({ code, message: Buffer.from(r.view(at, length)).toString('utf8') });
}

/** A VALUE payload. */
export interface ValueReply {
  readonly value: Uint8Array;
  readonly flags: number;
  readonly cas: bigint;
}

/**
 * Reads a VALUE payload (status already read). The value is a view into the reply buffer, not a
 * copy: the buffer was transferred to this thread and nothing writes to it again, so each view
 * is the caller's own (like a slice of Node's Buffer pool, it keeps its buffer alive).
 */
export function readValue(r: BatchReader): ValueReply {
  const flags = r.u32();
  const cas = r.u64();
  return { value: readBytes(r), flags, cas };
}

/** A VALUE payload's bytes alone, skipping flags and CAS (no BigInt built). */
export function readValueBytes(r: BatchReader): Uint8Array {
  r.skip(12);
  return readBytes(r);
}

function readBytes(r: BatchReader): Uint8Array {
  const length = r.u32();
  const at = r.skip(length);
  return r.view(at, length);
}

/** A NUMBER payload: the result and what replicas need to store it. */
export interface NumberReply {
  readonly value: bigint;
  readonly flags: number;
  readonly ttlMs: number;
}

export function readNumber(r: BatchReader): NumberReply {
  const value = r.u64();
  const flags = r.u32();
  const ttlMs = r.f64();
  return { value, flags, ttlMs };
}
