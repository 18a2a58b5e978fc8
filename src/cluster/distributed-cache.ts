/**
 * The cluster facade: the main thread owns the ring and dispatches commands to worker nodes.
 *
 *   get/set/… ─► key check, xxh64 ─► replica set (ring) ─► NodeLink batches ─► worker threads
 *
 * Replication: a key lives on the first `replicationFactor` distinct alive nodes clockwise from
 * its hash. Writes go to every replica and settle when every alive replica has applied them;
 * reads go to the first readable replica and fail over down the list. incr/decr and conditional
 * stores run on the primary alone and their result is written to the other replicas, with later
 * writes to that key held back meanwhile, so replicas apply a key's writes in one order.
 *
 * Topology (add, remove, crash, restart) goes through the Rebalancer: while it copies data, the
 * cluster reads by the old ring and writes to the replicas of both rings, so every key stays
 * readable and no write is lost.
 */

import { availableParallelism } from 'node:os';
import {
  ClosedError,
  InvalidArgumentError,
  NodeUnavailableError,
  TooLargeError,
} from '../errors.js';
import type { CacheCommand, CacheResponse } from '../protocol/commands.js';
import { HashRing } from '../ring/hash-ring.js';
import { PrefixHasher } from '../ring/hasher.js';
import { CounterSlots } from '../stats/counter-slots.js';
import { MAX_NODE_SLOTS } from '../stats/counters.js';
import { checkFlags, checkTtl, type StoreMode, toDelta } from '../storage/cache-node.js';
import { encodeKey, newKeyScratch } from '../storage/key-bytes.js';
import type { CacheStats, NodeInfo } from '../types.js';
import { Status } from './batch-format.js';
import {
  type DistributedCacheConfig,
  type ResolvedConfig,
  resolveConfig,
  type SetOptions,
} from './config.js';
import { NodeLink, type ValueReply } from './dispatcher.js';
import { executeCommand } from './execute.js';
import { KeyGates } from './key-gates.js';
import type { ClusterNode } from './messages.js';
import { partitionOf } from './messages.js';
import { NodeSupervisor } from './node-supervisor.js';
import { Rebalancer } from './rebalance.js';
import { parseEndpoint } from './remote-connection.js';
import { ReplicatedWrites } from './replicated-writes.js';
import { ReplyPoller } from './reply-poller.js';
import { ReadRequest, type RequestHost, WriteRequest } from './requests.js';
import { captureSettlers, type Resolve, settlers } from './settlers.js';

export type { DistributedCacheConfig, RemoteConfig, SetOptions } from './config.js';

export class DistributedCache implements RequestHost {
  readonly config: ResolvedConfig;
  readonly keyScratch = newKeyScratch();
  readonly #keyHasher = new PrefixHasher(this.keyScratch);
  #scratchKey: string | undefined;
  #scratchLength = 0;
  readonly #links = new Map<string, NodeLink>();
  readonly #poller: ReplyPoller;
  readonly #slots = new CounterSlots();
  readonly #rebalancer: Rebalancer;
  readonly #supervisor: NodeSupervisor;
  readonly #gates = new KeyGates();
  readonly #writes: ReplicatedWrites;
  #isClosed = false;

  constructor(config: DistributedCacheConfig = {}) {
    this.config = resolveConfig(config);
    this.#poller = new ReplyPoller(this.config.spinWaitMs);
    this.#rebalancer = new Rebalancer({
      replicationFactor: this.config.replicationFactor,
      ring: new HashRing(this.config.virtualNodes),
      link: (id) => this.#links.get(id),
      restart: (link) => this.#supervisor.restart(link),
      deleteKey: (key) => this.delete(key),
    });
    this.#writes = new ReplicatedWrites(this.#rebalancer, this.#gates);
    this.#supervisor = new NodeSupervisor({
      config: this.config,
      slots: this.#slots,
      link: (id) => this.#links.get(id),
      nodeDied: (link) => this.#rebalancer.nodeDied(link),
    });
  }

  /** Starts a cluster of `servers` worker nodes named node-0, node-1, … */
  static async create(config: DistributedCacheConfig = {}): Promise<DistributedCache> {
    const cache = new DistributedCache(config);
    const servers = config.servers ?? availableParallelism();
    if (!Number.isInteger(servers) || servers < 1) {
      throw new InvalidArgumentError('servers must be a positive integer');
    }
    await Promise.all(Array.from({ length: servers }, (_, i) => cache.addServer(`node-${i}`)));
    return cache;
  }

  // ── topology ──────────────────────────────────────────────────────────────────────────────

  /**
   * Adds a node: on the ring at once (it takes writes), readable once the keys it now holds
   * have been copied to it. `addr` 'worker' (default) starts a worker thread; 'host:port'
   * connects to a memcached-protocol server (stock memcached, or a shardcache server), which
   * the cluster then owns: it is emptied when it joins and when it comes back after a failure,
   * so it never serves data the ring did not put there. Rejects with
   * NodeUnavailableError when that server does not answer, InvalidArgumentError for a bad addr.
   */
  async addServer(id: string, addr = 'worker'): Promise<void> {
    this.#checkOpen();
    if (typeof id !== 'string' || id.length === 0)
      throw new InvalidArgumentError('server id must be a non-empty string');
    if (this.#links.has(id)) throw new InvalidArgumentError(`server ${id} already exists`);
    if (addr !== 'worker') parseEndpoint(addr);
    const slot = this.#slots.take();
    if (slot === undefined) throw new InvalidArgumentError(`at most ${MAX_NODE_SLOTS} nodes`);
    const info: NodeInfo = { id, addr, weight: 1, isAlive: true };
    let node: ClusterNode;
    try {
      node = await this.#supervisor.start(id, addr, slot);
    } catch (err) {
      this.#slots.give(slot);
      throw err;
    }
    const link = new NodeLink(info, node, slot, 'joining', this.#poller);
    this.#supervisor.watch(link);
    this.#links.set(id, link);
    await this.#rebalancer.join(link);
  }

  /** Removes a node gracefully: its keys move to their new replicas first. */
  async removeServer(id: string): Promise<void> {
    this.#checkOpen();
    const link = this.#links.get(id);
    if (!link) throw new InvalidArgumentError(`no server ${id}`);
    // a dead remote node may be waiting for its server: stop that wait (here, and below in case
    // the wait only began while the node was leaving)
    this.#supervisor.abandon(link);
    await this.#rebalancer.leave(link);
    this.#links.delete(id);
    this.#supervisor.abandon(link);
    await link.node.close();
    this.#slots.retire(link.counterSlot);
    this.#slots.give(link.counterSlot);
  }

  /** Abrupt stop of a node, as a crash: failover, repair and restart follow (failover drills). */
  async terminateServer(id: string): Promise<void> {
    const link = this.#links.get(id);
    if (!link) throw new InvalidArgumentError(`no server ${id}`);
    await link.node.terminate();
  }

  /** Resolves when every pending migration, repair and restart has finished. */
  rebalance(): Promise<void> {
    return this.#rebalancer.idle();
  }

  /** The replica set of `key`, primary first (alive nodes only). */
  serversForKey(key: string): NodeInfo[] {
    const hash = this.#keyHasher.hash(this.encodeKey(key));
    return this.#rebalancer.readReplicas(hash).map((link) => ({ ...link.info }));
  }

  /** Every node and whether it is alive. */
  servers(): NodeInfo[] {
    return [...this.#links.values()].map((link) => ({
      ...link.info,
      isAlive: link.state !== 'dead',
    }));
  }

  // ── commands ──────────────────────────────────────────────────────────────────────────────

  /** The value of `key`, or undefined on a miss. */
  get(key: string): Promise<Uint8Array | undefined> {
    return this.#read(key, undefined, true) as Promise<Uint8Array | undefined>;
  }

  /** The value with its flags and CAS unique (memcached's `gets`); with a TTL, also a touch. */
  getItem(key: string, gatTtlMs?: number): Promise<ValueReply | undefined> {
    if (gatTtlMs !== undefined) {
      try {
        checkTtl(gatTtlMs);
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return this.#read(key, gatTtlMs, false) as Promise<ValueReply | undefined>;
  }

  #read(
    key: string,
    gatTtlMs: number | undefined,
    isValueOnly: boolean,
  ): Promise<ValueReply | Uint8Array | undefined> {
    const promise = new Promise<ValueReply | Uint8Array | undefined>(captureSettlers);
    const resolve = settlers.resolve as Resolve<ValueReply | Uint8Array | undefined>;
    const reject = settlers.reject;
    try {
      this.#checkOpen();
      const hash = this.#keyHasher.hash(this.encodeKey(key));
      // a read of a key whose primary-first write (add, incr, …) is in flight waits for it
      if (this.#gates.isGated(key)) {
        this.#gates.whenOpen(
          key,
          () => this.#sendRead(key, hash, gatTtlMs, isValueOnly, resolve, reject),
          reject,
        );
      } else this.#sendRead(key, hash, gatTtlMs, isValueOnly, resolve, reject);
    } catch (err) {
      reject(err as Error);
    }
    return promise;
  }

  getMany(keys: readonly string[]): Promise<(Uint8Array | undefined)[]> {
    return Promise.all(keys.map((key) => this.get(key)));
  }

  /** Stores `value` on every replica. False only when a conditional store did not apply. */
  set(key: string, value: Uint8Array | string, options: SetOptions = NO_OPTIONS): Promise<boolean> {
    const promise = new Promise<boolean>(captureSettlers);
    const resolve = settlers.resolve as Resolve<boolean>;
    const reject = settlers.reject;
    this.#set(key, value, options, (status) => resolve(status === Status.STORED), reject);
    return promise;
  }

  /**
   * `set` on every replica, resolving to the batch status: the path of both `set` and
   * `store('set')`, without the closures and chained promises of the conditional stores.
   */
  #set(
    key: string,
    value: Uint8Array | string,
    options: SetOptions,
    resolve: Resolve<number>,
    reject: (err: Error) => void,
  ): void {
    try {
      this.#checkOpen();
      const bytes = toBytes(value);
      if (bytes.length > this.config.maxItemBytes) throw new TooLargeError();
      const ttlMs = checkTtl(options.ttlMs ?? 0);
      const flags = checkFlags(options.flags ?? 0);
      const hash = this.#keyHasher.hash(this.encodeKey(key));
      if (this.#gates.isGated(key)) {
        this.#gates.whenOpen(
          key,
          () => this.#setNow(key, hash, bytes, flags, ttlMs, resolve, reject),
          reject,
        );
      } else this.#setNow(key, hash, bytes, flags, ttlMs, resolve, reject);
    } catch (err) {
      reject(err as Error);
    }
  }

  #setNow(
    key: string,
    hash: bigint,
    bytes: Uint8Array,
    flags: number,
    ttlMs: number,
    resolve: Resolve<number>,
    reject: (err: Error) => void,
  ): void {
    const replicas = this.#rebalancer.writeReplicas(hash);
    if (replicas.length === 0) {
      reject(new NodeUnavailableError(`no replica of ${key} is available`));
      return;
    }
    this.#rebalancer.noteWrite(key);
    const partition = partitionOf(hash);
    const request = new WriteRequest(replicas.length, resolve, reject);
    for (const link of replicas) {
      const n = this.encodeKey(key);
      link.addStore(this.keyScratch, n, partition, 'set', flags, ttlMs, 0n, bytes, request);
    }
  }

  async setMany(
    entries: readonly (readonly [string, Uint8Array | string, SetOptions?])[],
  ): Promise<void> {
    await Promise.all(entries.map(([key, value, options]) => this.set(key, value, options)));
  }

  /**
   * memcached's storage commands. `set` goes to every replica at once; the conditional ones
   * (add, replace, append, prepend, cas) run on the primary and are then copied to the others.
   * Resolves to the batch status (Status.STORED, NOT_STORED, EXISTS, NOT_FOUND).
   */
  store(
    mode: StoreMode,
    key: string,
    value: Uint8Array | string,
    options: SetOptions = {},
    cas = 0n,
  ): Promise<number> {
    if (mode === 'set') {
      const promise = new Promise<number>(captureSettlers);
      this.#set(key, value, options, settlers.resolve as Resolve<number>, settlers.reject);
      return promise;
    }
    return new Promise((resolve, reject) => {
      this.#checkOpen();
      const bytes = toBytes(value);
      if (bytes.length > this.config.maxItemBytes) throw new TooLargeError();
      const ttlMs = checkTtl(options.ttlMs ?? 0);
      const flags = checkFlags(options.flags ?? 0);
      const hash = this.#keyHasher.hash(this.encodeKey(key));
      const partition = partitionOf(hash);
      this.#writes
        .primaryFirst(
          key,
          hash,
          (link, h) => {
            const n = this.encodeKey(key);
            link.addStore(this.keyScratch, n, partition, mode, flags, ttlMs, cas, bytes, h);
          },
          (status, primary) => {
            if (status !== Status.STORED) return;
            // the others get the primary's outcome: the same value, or the same append
            const copyMode: StoreMode = mode === 'append' || mode === 'prepend' ? mode : 'set';
            this.#writes.writeOthers(hash, primary, (link, h) => {
              const n = this.encodeKey(key);
              link.addStore(this.keyScratch, n, partition, copyMode, flags, ttlMs, 0n, bytes, h);
            });
          },
        )
        .then((outcome) => resolve(outcome.status), reject);
    });
  }

  delete(key: string): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.#checkOpen();
      const hash = this.#keyHasher.hash(this.encodeKey(key));
      const partition = partitionOf(hash);
      this.#writes
        .writeAll(
          key,
          hash,
          (link, h) => {
            const n = this.encodeKey(key);
            link.addDelete(this.keyScratch, n, partition, h);
          },
          true,
        )
        .then((status) => resolve(status === Status.DELETED), reject);
    });
  }

  /** Sets a new TTL on every replica; false when the key is missing. */
  touch(key: string, ttlMs: number): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.#checkOpen();
      const ttl = checkTtl(ttlMs);
      const hash = this.#keyHasher.hash(this.encodeKey(key));
      const partition = partitionOf(hash);
      this.#writes
        .writeAll(key, hash, (link, h) => {
          const n = this.encodeKey(key);
          link.addTouch(this.keyScratch, n, partition, ttl, h);
        })
        .then((status) => resolve(status === Status.TOUCHED), reject);
    });
  }

  /**
   * memcached's incr (a negative delta decrements, stopping at 0): computed once on the primary,
   * its result written to the other replicas. Undefined when the key is missing.
   */
  async incr(key: string, delta: bigint | number): Promise<bigint | undefined> {
    const d = toDelta(delta);
    return this.arith(key, d < 0n ? -d : d, d >= 0n);
  }

  async decr(key: string, delta: bigint | number): Promise<bigint | undefined> {
    const d = toDelta(delta);
    if (d < 0n) throw new InvalidArgumentError('decr delta must not be negative');
    return this.arith(key, d, false);
  }

  arith(key: string, delta: bigint, isIncrement: boolean): Promise<bigint | undefined> {
    return new Promise((resolve, reject) => {
      this.#checkOpen();
      if (delta < 0n || delta >= 1n << 64n)
        throw new InvalidArgumentError('invalid numeric delta argument');
      const hash = this.#keyHasher.hash(this.encodeKey(key));
      const partition = partitionOf(hash);
      this.#writes
        .primaryFirst(
          key,
          hash,
          (link, h) => {
            const n = this.encodeKey(key);
            link.addArith(this.keyScratch, n, partition, isIncrement, delta, h);
          },
          (status, primary, number) => {
            if (status !== Status.NUMBER || !number) return;
            const digits = Buffer.from(number.value.toString(), 'latin1');
            this.#writes.writeOthers(hash, primary, (link, h) => {
              const n = this.encodeKey(key);
              link.addStore(
                this.keyScratch,
                n,
                partition,
                'set',
                number.flags,
                number.ttlMs,
                0n,
                digits,
                h,
              );
            });
          },
        )
        .then((outcome) => resolve(outcome.number?.value), reject);
    });
  }

  /** Empties every node. */
  async flush(): Promise<void> {
    this.#checkOpen();
    await Promise.all(
      [...this.#links.values()]
        .filter((l) => l.isWritable)
        .map((l) => l.control({ type: 'flush' })),
    );
  }

  #sendRead(
    key: string,
    hash: bigint,
    gatTtlMs: number | undefined,
    isValueOnly: boolean,
    resolve: (value: ValueReply | Uint8Array | undefined) => void,
    reject: (err: Error) => void,
  ): void {
    const replicas = this.#rebalancer.readReplicas(hash);
    const partition = partitionOf(hash);
    new ReadRequest(this, key, partition, replicas, gatTtlMs, isValueOnly, resolve, reject).send();
  }

  /** Runs one memcached protocol command and returns memcached's reply for it. */
  execute(cmd: CacheCommand): Promise<CacheResponse> {
    return executeCommand(this, cmd);
  }

  // ── stats and inspection ──────────────────────────────────────────────────────────────────

  /**
   * Cluster totals, read synchronously from the shared counters. Requests count once (a get is
   * served by one replica); stored bytes and entries count every copy.
   */
  stats(): CacheStats {
    return this.#slots.total(Array.from(this.#links.values(), (link) => link.counterSlot));
  }

  /** Per-node counters of the current incarnation of each node. */
  nodeStats(): Record<string, CacheStats> {
    const out: Record<string, CacheStats> = {};
    for (const [id, link] of this.#links) out[id] = this.#slots.read(link.counterSlot);
    return out;
  }

  /** What a node holds now, key → value: a direct look inside one node (tests and tools). */
  async inspectNode(id: string): Promise<Map<string, Uint8Array>> {
    const link = this.#links.get(id);
    if (!link) throw new InvalidArgumentError(`no server ${id}`);
    const reply = await link.control({ type: 'entries' });
    return new Map(reply.type === 'entries' ? reply.entries : []);
  }

  /**
   * memcached's `lru_crawler metadump` over the cluster: one line per key (of the replica that
   * was read, if any), so that a shardcache server can be a node of another ring.
   */
  async metadump(): Promise<string[]> {
    this.#checkOpen();
    // key → its line; replicas of a key are listed once, preferring a copy that was read
    const byKey = new Map<string, string>();
    for (const link of this.#links.values()) {
      if (!link.isReadable) continue;
      const reply = await link.control({ type: 'metadump' });
      if (reply.type !== 'metadump') continue;
      for (const line of reply.lines) {
        const key = line.slice(4, line.indexOf(' '));
        const seen = byKey.get(key);
        if (seen === undefined || (!seen.includes(' fetch=yes') && line.includes(' fetch=yes'))) {
          byKey.set(key, line);
        }
      }
    }
    return [...byKey.values()];
  }

  /** Internals for tests and failure drills (lru-cache's `unsafeExposeInternals`): not API. */
  unsafeInternals(): { link(id: string): NodeLink | undefined } {
    return { link: (id) => this.#links.get(id) };
  }

  /** Waits for pending work, then ends every worker thread. */
  async close(): Promise<void> {
    if (this.#isClosed) return;
    this.#isClosed = true;
    this.#supervisor.close();
    await this.#rebalancer.close();
    await Promise.all([...this.#links.values()].map((link) => link.node.close()));
  }

  // ── internals ─────────────────────────────────────────────────────────────────────────────

  /**
   * Validates and encodes `key` into `keyScratch`; returns its length. The scratch is written
   * only here, so the same key asked again (once per replica) is not encoded again.
   */
  encodeKey(key: string): number {
    // `typeof` first: a JS caller's undefined must not match the empty cache (undefined)
    if (typeof key === 'string' && key === this.#scratchKey) return this.#scratchLength;
    this.#scratchKey = undefined;
    this.#scratchLength = encodeKey(key, this.keyScratch);
    this.#scratchKey = key;
    return this.#scratchLength;
  }

  #checkOpen(): void {
    if (this.#isClosed) throw new ClosedError();
  }
}

const NO_OPTIONS: SetOptions = Object.freeze({});

function toBytes(value: Uint8Array | string): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  throw new InvalidArgumentError('value must be a Uint8Array or a string');
}
