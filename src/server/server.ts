/**
 * The memcached text-protocol TCP server: a `DistributedCache` behind a socket, so any memcached
 * client works unchanged (DESIGN.md "Server"). Each socket gets a `Connection`; the server owns
 * the connection limit, the commands that describe the server itself (`stats`, `version`,
 * `verbosity`) and graceful shutdown.
 */

import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import type { DistributedCache } from '../cluster/distributed-cache.js';
import { VERSION } from '../cluster/execute.js';
import { InvalidArgumentError } from '../errors.js';
import type {
  CacheResponse,
  StatsCommand,
  VerbosityCommand,
  VersionCommand,
} from '../protocol/commands.js';
import type { DecoderOptions } from '../protocol/decoder.js';
import { Connection, type ConnectionBufferState, type ConnectionHost } from './connection.js';
import { ServerStats, type StatsContext, statsReply } from './server-stats.js';

export interface CacheServerOptions {
  /** Most client connections at once (memcached's `-c`). Default 1024. */
  readonly maxConnections?: number;
  /**
   * Largest value accepted, in bytes (memcached's `-I`). Default: the cache's `maxItemBytes`.
   * Larger values are refused with `SERVER_ERROR object too large for cache` before they are
   * buffered; it should not exceed the cache's own limit.
   */
  readonly itemMaxBytes?: number;
  /** `close()` also closes the cache (the CLI's case). Default false. */
  readonly ownsCache?: boolean;
  /**
   * Bound on a graceful `close()`: connections still open after it (a client that does not read
   * its replies) are destroyed. Default 10 s.
   */
  readonly closeTimeoutMs?: number;
}

/** memcached's answer to a client over the connection limit, before it closes the socket. */
const TOO_MANY_CONNECTIONS = 'ERROR Too many open connections\r\n';

/**
 * A memcached-protocol server over a `DistributedCache`.
 *
 * Guarantees: at most `maxConnections` clients are served at once (others get memcached's
 * `ERROR Too many open connections` and are closed); one client's bad input, stall or crash
 * never affects another client or the stored data; `close()` is graceful and bounded.
 */
export class CacheServer {
  readonly cache: DistributedCache;
  readonly #server: Server;
  readonly #connections = new Set<Connection>();
  readonly #stats = new ServerStats();
  readonly #maxConnections: number;
  readonly #itemMaxBytes: number;
  readonly #ownsCache: boolean;
  readonly #closeTimeoutMs: number;
  readonly #host: ConnectionHost;
  #startedAtMs = Date.now();
  #verbosity = 0;
  #address: AddressInfo | undefined;
  #closing: Promise<void> | undefined;
  #onNoConnections: (() => void) | undefined;
  /** Connections to pump on the next check phase (see `ConnectionHost.schedulePump`). */
  #toPump: Connection[] = [];
  readonly #runPumps = (): void => {
    const due = this.#toPump;
    this.#toPump = [];
    for (const connection of due) connection.runScheduledPump();
  };

  constructor(cache: DistributedCache, options: CacheServerOptions = {}) {
    this.cache = cache;
    this.#maxConnections = positiveInteger(options.maxConnections ?? 1024, 'maxConnections');
    this.#itemMaxBytes = positiveInteger(
      options.itemMaxBytes ?? cache.config.maxItemBytes,
      'itemMaxBytes',
    );
    this.#ownsCache = options.ownsCache ?? false;
    this.#closeTimeoutMs = options.closeTimeoutMs ?? 10_000;
    const decoderOptions: DecoderOptions = { itemMaxBytes: this.#itemMaxBytes };
    this.#host = {
      cache,
      stats: this.#stats,
      decoderOptions,
      serverReply: (command) => this.#serverReply(command),
      schedulePump: (connection) => this.#schedulePump(connection),
      connectionClosed: (connection) => this.#connectionClosed(connection),
    };
    // Half-open sockets: a client may shut down its side and still read every reply.
    this.#server = createServer({ allowHalfOpen: true }, (socket) => this.#accept(socket));
  }

  /** Starts listening; resolves with the bound address (port 0 picks a free port). */
  listen(port = 11211, host = '127.0.0.1'): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const server = this.#server;
      const onError = (err: Error): void => reject(err);
      server.once('error', onError);
      server.listen({ port, host }, () => {
        server.off('error', onError);
        // A listening server that errors later (e.g. EMFILE on accept) must not crash the process.
        server.on('error', ignore);
        this.#address = server.address() as AddressInfo;
        this.#startedAtMs = Date.now();
        resolve(this.#address);
      });
    });
  }

  /** The bound address, once listening. */
  get address(): AddressInfo | undefined {
    return this.#address;
  }

  /** Clients connected now. */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /** Internals for tests (lru-cache's `unsafeExposeInternals` idea): each connection's buffers. */
  unsafeInternals(): { readonly connections: readonly ConnectionBufferState[] } {
    return { connections: [...this.#connections].map((c) => c.bufferState()) };
  }

  /**
   * Graceful stop: accepts no more connections, stops reading, lets the requests already running
   * finish and their replies go out, then closes every connection (destroying those still open
   * after `closeTimeoutMs`) and, if it owns it, the cache. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const stopped = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const connection of this.#connections) connection.shutdown();
    const drained = this.#whenNoConnections();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.#closeTimeoutMs);
    });
    await Promise.race([drained, timedOut]);
    clearTimeout(timer);
    // Past the bound: a client that will not take its replies loses them.
    for (const connection of this.#connections) connection.destroy();
    await drained;
    await stopped;
    if (this.#ownsCache) await this.cache.close();
  }

  /** Resolves once every connection has closed. */
  #whenNoConnections(): Promise<void> {
    if (this.#connections.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#onNoConnections = resolve;
    });
  }

  #schedulePump(connection: Connection): void {
    if (this.#toPump.push(connection) === 1) setImmediate(this.#runPumps);
  }

  #connectionClosed(connection: Connection): void {
    this.#connections.delete(connection);
    if (this.#connections.size === 0) this.#onNoConnections?.();
  }

  #accept(socket: Socket): void {
    if (this.#closing !== undefined) {
      socket.destroy();
      return;
    }
    if (this.#connections.size >= this.#maxConnections) {
      // memcached's answer with `maxconns_fast` (its default): say why, then hang up.
      this.#stats.rejectedConnections++;
      socket.on('error', ignore);
      socket.end(TOO_MANY_CONNECTIONS, () => socket.destroy());
      return;
    }
    this.#stats.totalConnections++;
    this.#connections.add(new Connection(socket, this.#host));
  }

  #serverReply(command: StatsCommand | VersionCommand | VerbosityCommand): CacheResponse {
    switch (command.type) {
      case 'version':
        return { type: 'version', version: VERSION };
      case 'verbosity':
        this.#verbosity = command.level;
        return { type: 'ok' };
      case 'stats':
        return statsReply(command.group, this.#statsContext());
    }
  }

  #statsContext(): StatsContext {
    const config = this.cache.config;
    return {
      stats: this.#stats,
      cluster: this.cache.stats(),
      startedAtMs: this.#startedAtMs,
      version: VERSION,
      currConnections: this.#connections.size,
      maxConnections: this.#maxConnections,
      nodeCount: this.cache.servers().length,
      nodeMaxBytes: config.maxMemory,
      itemMaxBytes: this.#itemMaxBytes,
      port: this.#address?.port ?? 0,
      host: this.#address?.address ?? '',
      verbosity: this.#verbosity,
      replicationFactor: config.replicationFactor,
      evictionPolicy: config.evictionPolicy,
    };
  }
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError(`${name} must be a positive integer`);
  }
  return value;
}

function ignore(): void {}
