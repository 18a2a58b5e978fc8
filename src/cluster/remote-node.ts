/**
 * A cluster node that is a remote memcached-protocol server (stock memcached, or a shardcache
 * server): the sibling of WorkerNode, speaking the text protocol over a small pool of pipelined
 * TCP connections instead of a MessagePort.
 *
 * ```
 *   sendBatch(batch) ──► remote-batch: op ─► text command ─► connection[partition % pool] ─► server
 *   control(request) ──► remote-control: barrier, lru_crawler metadump, reads / deletes
 *   failures ─► FailureDetector (TKO) ─► dead: fail what is owed, onDeath
 * ```
 *
 * Order: all ops on one key go through one connection (chosen by partition), so the server
 * applies them in the order sent, and every replica of a key sees its writes in one order.
 *
 * Failure (mcrouter's TKO): `failureThreshold` consecutive failures (timeouts, refused or lost
 * connections, garbled replies) mark the node dead; any reply resets the count. A failure that
 * may have lost a write is fatal at once, and so is finding that the server restarted (its `pid`
 * and start time, read from `stats` on every new connection, changed): either way the node no
 * longer holds what its replicas hold, and must be emptied and refilled before it serves again
 * (`RemoteNode.revive`).
 *
 * Stats (remote-stats.ts): hits and misses counted here, entry count and bytes from a periodic
 * `stats`, published into the node's slot of the cluster's shared counters.
 */

import { assertNever, ClosedError, NodeUnavailableError } from '../errors.js';
import { ByteWriter } from '../protocol/byte-writer.js';
import type { CacheCommand } from '../protocol/commands.js';
import { encodeCommand } from '../protocol/encoder.js';
import type { ReplyPart } from '../protocol/reply-decoder.js';
import {
  backoffDelayMs,
  DEFAULT_FAILURE_THRESHOLD,
  FailureDetector,
  probeEndpoint,
  sleep,
} from './failure-detector.js';
import type { ClusterNode, ControlReply, ControlRequest } from './messages.js';
import { type BatchSink, runBatch } from './remote-batch.js';
import {
  type BreakInfo,
  CollectingHandler,
  type CommandReply,
  type ConnectionEvents,
  type ConnectionOptions,
  type Endpoint,
  parseEndpoint,
  RemoteConnection,
  type ReplyHandler,
} from './remote-connection.js';
import {
  allEntries,
  type ControlHost,
  dropRange,
  exportRange,
  type KeyListing,
  metadumpLines,
} from './remote-control.js';
import { type CounterSlot, RemoteStats, StatsHandler } from './remote-stats.js';

/** Tuning for remote nodes; every wait has a bound. */
export interface RemoteNodeOptions {
  /** Connect timeout per connection (default 1000 ms). */
  readonly connectTimeoutMs?: number;
  /** Longest wait for the next reply while commands are outstanding (default 2000 ms). */
  readonly requestTimeoutMs?: number;
  /** Connections per node (default 2). */
  readonly poolSize?: number;
  /** Consecutive failures that mark the node dead (default 3). */
  readonly failureThreshold?: number;
  /** TTL for stores that give none, as worker nodes apply it (default 0: none). */
  readonly defaultTtlMs?: number;
  /** Largest value accepted in a reply (default 64 MiB). */
  readonly valueMaxBytes?: number;
  /** How often `stats` is polled for entry count and bytes (default 1000 ms; 0: never). */
  readonly statsIntervalMs?: number;
  /** Revival probe backoff: first and longest wait between probes (defaults 50 / 1000 ms). */
  readonly probeMinDelayMs?: number;
  readonly probeMaxDelayMs?: number;
  /** Where to publish this node's counters (the cluster's shared counters and its slot). */
  readonly counters?: CounterSlot;
}

type Resolved = Required<Omit<RemoteNodeOptions, 'counters'>> & Pick<RemoteNodeOptions, 'counters'>;

function connectionOptions(options: Resolved): ConnectionOptions {
  return {
    connectTimeoutMs: options.connectTimeoutMs,
    requestTimeoutMs: options.requestTimeoutMs,
    valueMaxBytes: options.valueMaxBytes,
  };
}

function resolve(options: RemoteNodeOptions): Resolved {
  return {
    connectTimeoutMs: options.connectTimeoutMs ?? 1000,
    requestTimeoutMs: options.requestTimeoutMs ?? 2000,
    poolSize: Math.max(1, Math.floor(options.poolSize ?? 2)),
    failureThreshold: options.failureThreshold ?? DEFAULT_FAILURE_THRESHOLD,
    defaultTtlMs: options.defaultTtlMs ?? 0,
    valueMaxBytes: options.valueMaxBytes ?? 64 * 1024 * 1024,
    statsIntervalMs: options.statsIntervalMs ?? 1000,
    probeMinDelayMs: options.probeMinDelayMs ?? 50,
    probeMaxDelayMs: options.probeMaxDelayMs ?? 1000,
    counters: options.counters,
  };
}

/**
 * A ring node served by a remote memcached-protocol server (see the module comment). Create it
 * with `RemoteNode.connect`, or `RemoteNode.revive` for a node coming back after a failure.
 */
export class RemoteNode implements ClusterNode, BatchSink, ControlHost, ConnectionEvents {
  readonly id: string;
  readonly addr: string;
  readonly endpoint: Endpoint;
  readonly connectionOptions: ConnectionOptions;
  readonly #options: Resolved;
  readonly #connections: (RemoteConnection | undefined)[];
  readonly #detector: FailureDetector;
  readonly #stats: RemoteStats;
  #hasMeta = false;
  /** ControlHost: the key listing of the current migration phase. */
  listing: KeyListing | undefined;
  #isDead = false;
  #isClosed = false;
  /** Sockets destroyed: nothing more is sent (dead, closed, or never connected). */
  #isShutDown = false;
  #pending = 0;
  #onDeath: (err: Error) => void = () => {};
  /** While a flush runs, batches wait here (in order) so none overtakes it. */
  #held: (() => void)[] | undefined;
  #statsTimer: NodeJS.Timeout | undefined;

  private constructor(id: string, addr: string, options: Resolved) {
    this.id = id;
    this.addr = addr;
    this.endpoint = parseEndpoint(addr);
    this.#options = options;
    this.connectionOptions = connectionOptions(options);
    this.#connections = new Array(options.poolSize).fill(undefined);
    this.#detector = new FailureDetector(options.failureThreshold);
    this.#stats = new RemoteStats(options.counters);
  }

  /**
   * Connects to `addr` ('host:port') and resolves once the server answers: its version, whether
   * it speaks the meta protocol (`mn`), its identity (`stats`). Rejects with
   * NodeUnavailableError when it does not answer within the timeouts, InvalidArgumentError for a
   * malformed address.
   */
  static async connect(
    id: string,
    addr: string,
    options: RemoteNodeOptions = {},
  ): Promise<RemoteNode> {
    const node = new RemoteNode(id, addr, resolve(options));
    try {
      // every connection of the pool is opened now, so none is first opened under load
      const versions = Array.from({ length: node.poolSize }, (_, i) =>
        node.#ask(i, { type: 'version' }),
      );
      // meta no-op: `MN` from a server that speaks the meta protocol, `ERROR` from others
      const meta = node.#ask(0, 'mn\r\n');
      const [metaReply, ...versionReplies] = await Promise.all([meta, ...versions]);
      for (const reply of versionReplies) {
        if (reply.final.type !== 'version')
          throw new NodeUnavailableError(`it answered \`version\` with ${reply.final.type}`);
      }
      node.#hasMeta = metaReply!.final.type === 'meta' && metaReply!.final.code === 'MN';
    } catch (err) {
      node.#shutDown(new NodeUnavailableError(`node ${id} failed to connect`));
      throw new NodeUnavailableError(
        `remote node ${id} at ${addr} is unreachable: ${(err as Error).message}`,
      );
    }
    node.#startStats();
    return node;
  }

  /**
   * Waits until the server at `addr` answers `version` (one fresh connection per probe, each
   * bounded by the timeouts; exponential backoff between probes), then connects a new node and
   * empties the server: whatever it holds may be older than its replicas (a server that was
   * only unreachable kept its data), and the cluster refills it from them. Rejects with
   * ClosedError when `signal` aborts.
   */
  static async revive(
    id: string,
    addr: string,
    options: RemoteNodeOptions,
    signal: AbortSignal,
  ): Promise<RemoteNode> {
    const resolved = resolve(options);
    for (let attempt = 0; ; attempt++) {
      if (signal.aborted) throw new ClosedError(`revival of node ${id} stopped`);
      if (await probeEndpoint(parseEndpoint(addr), connectionOptions(resolved))) {
        try {
          const node = await RemoteNode.connect(id, addr, options);
          try {
            await node.control({ type: 'flush' });
          } catch (err) {
            await node.terminate();
            throw err;
          }
          if (!signal.aborted) return node;
          await node.close();
        } catch {
          // it went away again: keep probing
        }
      }
      await sleep(
        backoffDelayMs(attempt, resolved.probeMinDelayMs, resolved.probeMaxDelayMs),
        signal,
      );
    }
  }

  get isDead(): boolean {
    return this.#isDead;
  }

  get pendingCount(): number {
    return this.#pending;
  }

  get hasMeta(): boolean {
    return this.#hasMeta;
  }

  get poolSize(): number {
    return this.#options.poolSize;
  }

  get defaultTtlMs(): number {
    return this.#options.defaultTtlMs;
  }

  /** Consecutive failures so far (the TKO count). */
  get consecutiveFailures(): number {
    return this.#detector.consecutiveFailures;
  }

  get onDeath(): (err: Error) => void {
    return this.#onDeath;
  }
  set onDeath(handler: (err: Error) => void) {
    this.#onDeath = handler;
  }

  sendBatchBytes(bytes: Uint8Array): Promise<ArrayBuffer> {
    return this.sendBatch(bytes.slice().buffer);
  }

  sendBatch(batch: ArrayBuffer): Promise<ArrayBuffer> {
    if (this.#isDead || this.#isClosed)
      return Promise.reject(new NodeUnavailableError(`node ${this.id} is down`));
    this.#pending++;
    const reply = new Promise<ArrayBuffer>((resolve) => {
      const run = (): void => void runBatch(batch, this).then(resolve);
      if (this.#held) this.#held.push(run);
      else run();
    });
    return reply.then((buffer) => {
      this.#pending--;
      this.#publish();
      return buffer;
    });
  }

  async control(request: ControlRequest): Promise<ControlReply> {
    if (this.#isDead || this.#isClosed) throw new NodeUnavailableError(`node ${this.id} is down`);
    this.#pending++;
    try {
      switch (request.type) {
        case 'export':
          return await exportRange(this, request);
        case 'drop':
          return await dropRange(this, request);
        case 'entries':
          return await allEntries(this);
        case 'metadump':
          return await metadumpLines(this);
        case 'flush':
          await this.#flush();
          return { type: 'ok' };
        case 'crash':
          // a remote server cannot be made to crash from here: the drill cuts it off instead
          setTimeout(() => void this.terminate(), 5);
          return { type: 'ok' };
        default:
          return assertNever(request);
      }
    } finally {
      this.#pending--;
    }
  }

  /** Abrupt stop, as a crash: sockets destroyed, what is owed fails, `onDeath` runs. */
  async terminate(): Promise<void> {
    this.#die(new NodeUnavailableError(`node ${this.id} was terminated`));
  }

  /** Graceful stop: what is owed is answered (or times out), then the sockets close. */
  async close(): Promise<void> {
    if (this.#isClosed) return;
    this.#isClosed = true;
    this.#onDeath = () => {};
    clearInterval(this.#statsTimer);
    while (this.#pending > 0 && !this.#isDead) await sleep(5);
    await Promise.all(this.#connections.map((c) => c?.end()));
    this.#shutDown(new NodeUnavailableError(`node ${this.id} is closed`));
  }

  // ── BatchSink / ControlHost ───────────────────────────────────────────────────────────────

  send(index: number, bytes: Uint8Array, handlers: readonly ReplyHandler[]): void {
    if (this.#isShutDown) {
      const err = new NodeUnavailableError(`node ${this.id} is down`);
      for (const handler of handlers) handler.onFail(err);
      return;
    }
    this.#connection(index).send(bytes, handlers);
  }

  noteRead(isHit: boolean): void {
    this.#stats.noteRead(isHit);
  }

  command(partition: number, bytes: Uint8Array, isWrite: boolean): Promise<CommandReply> {
    if (this.#isDead) return Promise.reject(new NodeUnavailableError(`node ${this.id} is down`));
    const handler = new CollectingHandler(isWrite);
    this.send(partition % this.#options.poolSize, bytes, [handler]);
    return handler.promise;
  }

  async barrier(): Promise<void> {
    await Promise.all(
      this.#connections.map((c, i) =>
        c === undefined || c.isClosed || c.pendingCount === 0
          ? undefined
          : this.#ask(i, { type: 'version' }),
      ),
    );
  }

  // ── ConnectionEvents ──────────────────────────────────────────────────────────────────────

  onAnswer(): void {
    this.#detector.recordSuccess();
  }

  onBreak(connection: RemoteConnection, err: NodeUnavailableError, info: BreakInfo): void {
    const index = this.#connections.indexOf(connection);
    if (index >= 0) this.#connections[index] = undefined;
    if (this.#isDead || this.#isClosed) return;
    // an idle connection the server closed costs nothing until it fails to reconnect
    if (!info.hadPending && info.wasConnected) return;
    if (this.#detector.recordFailure(info.hadWrites)) this.#die(err);
  }

  // ── internals ─────────────────────────────────────────────────────────────────────────────

  /** The pool's connection `index`, opened on first use; each new one checks who answers. */
  #connection(index: number): RemoteConnection {
    const existing = this.#connections[index];
    if (existing !== undefined && !existing.isClosed) return existing;
    const connection = new RemoteConnection(this.endpoint, this.connectionOptions, this);
    this.#connections[index] = connection;
    const stats = new StatsHandler((parts) => this.#noteStats(parts));
    connection.send(encodeCommand({ type: 'stats', group: undefined }), [stats]);
    return connection;
  }

  /** One command (or a raw ASCII line) on connection `index`. */
  #ask(index: number, command: CacheCommand | string): Promise<CommandReply> {
    const w = new ByteWriter(64);
    if (typeof command === 'string') w.ascii(command);
    else encodeCommand(command, w);
    const handler = new CollectingHandler(false);
    this.send(index, w.take(), [handler]);
    return handler.promise;
  }

  /** flush_all after everything sent before it, and before anything sent after it. */
  async #flush(): Promise<void> {
    const held: (() => void)[] = [];
    this.#held = held;
    try {
      await this.barrier();
      const reply = await this.#ask(0, { type: 'flush_all', delaySec: 0, noreply: false });
      if (reply.final.type !== 'status' || reply.final.status !== 'OK')
        throw new NodeUnavailableError(`node ${this.id} refused flush_all`);
    } finally {
      this.#held = undefined;
      for (const run of held) run();
    }
  }

  /**
   * A `stats` reply: counters, and who answers. A restarted server lost its data, so the node
   * dies before any later reply on that connection (a read it would miss) is taken as an answer.
   */
  #noteStats(parts: readonly ReplyPart[]): void {
    if (this.#stats.absorb(parts)) {
      this.#publish();
      return;
    }
    this.#detector.recordFailure(true);
    this.#die(new NodeUnavailableError(`node ${this.id} restarted: its data is gone`));
  }

  #startStats(): void {
    const intervalMs = this.#options.statsIntervalMs;
    if (intervalMs <= 0) return;
    // doubles as a heartbeat: an idle node whose server is gone is found dead by the detector
    this.#statsTimer = setInterval(() => {
      if (this.#isDead || this.#isClosed) return;
      this.#ask(0, { type: 'stats', group: undefined }).then(
        (reply) => this.#noteStats(reply.parts),
        () => {},
      );
    }, intervalMs);
    this.#statsTimer.unref();
  }

  /** Counters into the node's slot, while this incarnation owns it (not once dead or closed). */
  #publish(): void {
    if (!this.#isDead && !this.#isClosed) this.#stats.publish();
  }

  #die(err: NodeUnavailableError): void {
    if (this.#isDead || this.#isClosed) return;
    this.#publish();
    this.#isDead = true;
    this.#shutDown(err);
    this.#onDeath(err);
  }

  #shutDown(err: NodeUnavailableError): void {
    this.#isShutDown = true;
    clearInterval(this.#statsTimer);
    for (let i = 0; i < this.#connections.length; i++) {
      const connection = this.#connections[i];
      this.#connections[i] = undefined;
      connection?.destroy(err);
    }
    const held = this.#held;
    this.#held = undefined;
    // held batches run now and fail at once on the closed pool, settling their callers
    for (const run of held ?? []) run();
  }
}
