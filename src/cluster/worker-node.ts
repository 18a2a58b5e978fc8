/**
 * A cluster node hosted by a worker thread: a piscina pool of exactly one thread (min = max = 1,
 * no idle timeout, so the thread — and the data it holds — never exits for being idle), plus a
 * MessagePort handed to the thread once. Batches and control requests go over that port, in
 * order, rather than one `pool.run()` each: a piscina task costs a queue entry and a reply object,
 * the port costs one postMessage of a transferred buffer.
 *
 * Piscina still owns the thread's life: `atomics: 'disabled'` keeps the worker's event loop free
 * to serve the port, `resourceLimits` bounds its heap, and a thread that dies for any reason
 * (uncaught error, process.exit, out of memory, terminate) is reported through `onDeath` once.
 */

import { existsSync } from 'node:fs';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { fromWire, NodeUnavailableError } from '../errors.js';
import type {
  AttachTask,
  ClusterNode,
  ControlReply,
  ControlRequest,
  NodeWorkerData,
} from './messages.js';
import { encodePlace, REQUEST_RING_BYTES, RequestRing } from './request-ring.js';

/** The built worker entry. From dist/ it sits beside; from sources (tests) it is the build's. */
function workerEntry(): URL {
  const built = new URL('../../workers/cache-node.worker.js', import.meta.url);
  if (existsSync(built)) return built;
  const fromSources = new URL('../../dist/workers/cache-node.worker.js', import.meta.url);
  if (existsSync(fromSources)) return fromSources;
  throw new Error('worker entry not found: run `npm run build` first');
}

type Waiter = {
  resolve: (reply: never) => void;
  reject: (err: Error) => void;
  /** Its batch sits in the request ring, which the reply releases. */
  inRing: boolean;
};

export class WorkerNode implements ClusterNode {
  readonly id: string;
  readonly #pool: Piscina;
  readonly #port: MessagePort;
  readonly #ring: RequestRing;
  readonly #ringBytes: Uint8Array;
  /** Requests sent and not yet answered, oldest first (the port keeps order). */
  readonly #waiting: Waiter[] = [];
  #waitingHead = 0;
  #isDead = false;
  #destroyed: Promise<void> | undefined;
  #onDeath: (err: Error) => void = () => {};

  private constructor(id: string, pool: Piscina, port: MessagePort, requests: SharedArrayBuffer) {
    this.id = id;
    this.#pool = pool;
    this.#port = port;
    this.#ring = new RequestRing(requests.byteLength);
    this.#ringBytes = new Uint8Array(requests);
    port.on('message', (reply: ArrayBuffer | ControlReply) => this.#onReply(reply));
    port.on('close', () => this.#die(new NodeUnavailableError(`node ${id} is down: port closed`)));
    pool.on('workerDestroy', () =>
      this.#die(new NodeUnavailableError(`node ${id} is down: worker exited`)),
    );
    pool.on('error', (err: Error) =>
      this.#die(new NodeUnavailableError(`node ${id} is down: ${err.message}`)),
    );
    port.unref();
  }

  /** Starts the thread and resolves once it serves its port. */
  static async start(data: NodeWorkerData): Promise<WorkerNode> {
    const heapMb = 64 + Math.ceil(data.maxMemory / (1024 * 1024) / 4);
    const pool = new Piscina({
      filename: workerEntry().href,
      minThreads: 1,
      maxThreads: 1,
      idleTimeout: Number.POSITIVE_INFINITY,
      atomics: 'disabled',
      workerData: data,
      resourceLimits: { maxOldGenerationSizeMb: heapMb, maxYoungGenerationSizeMb: 32 },
    });
    const { port1, port2 } = new MessageChannel();
    const requests = new SharedArrayBuffer(REQUEST_RING_BYTES);
    const task: AttachTask = { type: 'attach', port: port2, requests };
    try {
      await pool.run(task, { transferList: [port2] });
    } catch (err) {
      port1.close();
      await pool.destroy();
      throw new NodeUnavailableError(
        `node ${data.nodeId} failed to start: ${(err as Error).message}`,
      );
    }
    return new WorkerNode(data.nodeId, pool, port1, requests);
  }

  get isDead(): boolean {
    return this.#isDead;
  }

  /** Requests in flight. */
  get pendingCount(): number {
    return this.#waiting.length - this.#waitingHead;
  }

  /** Called once, when the thread dies (never after `close`). */
  get onDeath(): (err: Error) => void {
    return this.#onDeath;
  }
  set onDeath(handler: (err: Error) => void) {
    this.#onDeath = handler;
  }

  /** Sends one batch (transferred: the caller must not touch it again). */
  sendBatch(batch: ArrayBuffer): Promise<ArrayBuffer> {
    return this.#send(batch, [batch], false);
  }

  /** Copies the batch into the request ring and posts its place; too big for it, transfers. */
  sendBatchBytes(bytes: Uint8Array): Promise<ArrayBuffer> {
    const at = this.#isDead ? -1 : this.#ring.take(bytes.length);
    if (at < 0) return this.sendBatch(bytes.slice().buffer);
    this.#ringBytes.set(bytes, at);
    return this.#send(encodePlace(at, bytes.length), [], true);
  }

  control(request: ControlRequest): Promise<ControlReply> {
    return this.#send(request, [], false).then((reply) => {
      const r = reply as ControlReply;
      if (r.type === 'error') throw fromWire(r.error);
      return r;
    });
  }

  /** Abrupt stop, as a crash: in-flight requests fail, `onDeath` runs. */
  async terminate(): Promise<void> {
    this.#die(new NodeUnavailableError(`node ${this.id} was terminated`));
    await this.#destroyPool();
  }

  /** Graceful stop: lets answered requests finish, then ends the thread. No `onDeath`. */
  async close(): Promise<void> {
    this.#onDeath = () => {};
    while (this.pendingCount > 0 && !this.#isDead) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.#isDead = true;
    this.#failAll(new NodeUnavailableError(`node ${this.id} is closed`));
    this.#port.close();
    await this.#destroyPool();
  }

  /** Ends the thread once; piscina would otherwise start a fresh (empty) one after a crash. */
  #destroyPool(): Promise<void> {
    this.#destroyed ??= this.#pool.destroy().catch(() => {});
    return this.#destroyed;
  }

  #send<T>(
    message: ArrayBuffer | number | ControlRequest,
    transfer: ArrayBuffer[],
    inRing: boolean,
  ): Promise<T> {
    if (this.#isDead) return Promise.reject(new NodeUnavailableError(`node ${this.id} is down`));
    return new Promise<T>((resolve, reject) => {
      if (this.pendingCount === 0) this.#port.ref();
      this.#waiting.push({ resolve: resolve as (reply: never) => void, reject, inRing });
      this.#port.postMessage(message, transfer);
    });
  }

  #onReply(reply: ArrayBuffer | ControlReply): void {
    const waiter = this.#waiting[this.#waitingHead++];
    if (this.#waitingHead > 1024 && this.#waitingHead * 2 > this.#waiting.length) {
      this.#waiting.splice(0, this.#waitingHead);
      this.#waitingHead = 0;
    }
    if (this.pendingCount === 0) this.#port.unref();
    // a node answers in order and has read a batch before answering it
    if (waiter?.inRing) this.#ring.releaseOldest();
    waiter?.resolve(reply as never);
  }

  #failAll(err: Error): void {
    const waiting = this.#waiting.splice(this.#waitingHead);
    this.#waiting.length = 0;
    this.#waitingHead = 0;
    this.#ring.reset(); // nobody reads the ring any more
    for (const waiter of waiting) waiter.reject(err);
  }

  #die(err: Error): void {
    if (this.#isDead) return;
    this.#isDead = true;
    this.#port.unref();
    this.#failAll(err);
    void this.#destroyPool();
    this.#onDeath(err);
  }
}
