/**
 * One client connection of the memcached text-protocol server.
 *
 * ```
 *  socket 'data' ─► CommandDecoder ─► request ─► cache.execute() ─┐  (async, many in flight)
 *                                        │                        ▼
 *                                        └─► reply slot FIFO ◄── settle(slot)
 *                                               │ written strictly in request order,
 *                                               ▼ every ready reply in one socket.write
 *                                           ByteWriter ─► socket
 * ```
 *
 * Requests run concurrently (a pipelined client keeps every node busy), but replies leave in
 * request order: each request takes a slot at the tail of a FIFO when it is decoded, and the
 * writer only advances over settled slots at the head.
 */

import type { Socket } from 'node:net';
import type { DistributedCache } from '../cluster/distributed-cache.js';
import { ByteWriter } from '../protocol/byte-writer.js';
import type {
  CacheCommand,
  CacheResponse,
  StatsCommand,
  VerbosityCommand,
  VersionCommand,
} from '../protocol/commands.js';
import { CommandDecoder, type DecodeResult, type DecoderOptions } from '../protocol/decoder.js';
import { toReply } from '../protocol/encoder.js';
import { ReplyQueue } from './reply-queue.js';
import type { ServerStats } from './server-stats.js';

/** What a connection needs from its server. */
export interface ConnectionHost {
  readonly cache: DistributedCache;
  readonly stats: ServerStats;
  readonly decoderOptions: DecoderOptions;
  /** Answers the commands the server owns rather than the cluster. */
  serverReply(command: StatsCommand | VersionCommand | VerbosityCommand): CacheResponse;
  /**
   * Calls `connection.runScheduledPump()` on the next check phase, together with every other
   * connection scheduled in this turn of the event loop.
   */
  schedulePump(connection: Connection): void;
  /** Called once, when the socket has closed. */
  connectionClosed(connection: Connection): void;
}

/**
 * Per-connection bounds. Together they cap what one client can make the server hold: input by the
 * socket's own buffer plus the decoder's (one line or one item), requests by `MAX_PENDING`, output
 * by `WRITE_HIGH_WATER_BYTES` plus one reply.
 */
export const CONNECTION_LIMITS = {
  /** Requests decoded and not yet answered on the wire; past it the connection stops reading. */
  MAX_PENDING: 256,
  /**
   * Reply bytes the socket may hold unsent. Past it no more replies are encoded and no more input
   * is read until 'drain': a client that does not read its replies stalls only itself.
   */
  WRITE_HIGH_WATER_BYTES: 1024 * 1024,
  /** How long a closing connection may take to hand its last replies to the peer. */
  CLOSE_LINGER_MS: 5_000,
} as const;

/** A snapshot of one connection's buffers (see `CONNECTION_LIMITS`). */
export interface ConnectionBufferState {
  readonly pendingCount: number;
  readonly inflightCount: number;
  /** Reply bytes handed to the socket and not yet sent. */
  readonly unsentBytes: number;
  /** Input bytes read and not yet decoded. */
  readonly undecodedBytes: number;
  readonly isReading: boolean;
}

const NONE: CacheResponse = { type: 'none' };

const State = { OPEN: 0, CLOSING: 1, CLOSED: 2 } as const;
type State = (typeof State)[keyof typeof State];

/** Error lines as bytes, built once: a client sending garbage in a loop costs no encoding. */
const LINE_BYTES = new Map<string, Uint8Array>();
function lineBytes(line: string): Uint8Array {
  let bytes = LINE_BYTES.get(line);
  if (bytes === undefined) {
    bytes = Buffer.from(`${line}\r\n`, 'latin1');
    LINE_BYTES.set(line, bytes);
  }
  return bytes;
}

/**
 * Serves one socket. Guarantees:
 * - Replies are written in request order, each exactly once; `noreply` requests run but write
 *   nothing; bad input gets memcached's reply line and the connection goes on unless memcached
 *   would hang up.
 * - `flush_all` and `stats` see every earlier request of this connection completed, later
 *   requests start only after a `flush_all` has completed, and a read sees this connection's
 *   earlier writes to its keys: a pipeline behaves as if run serially.
 * - Bounded: see `CONNECTION_LIMITS`. A stalled or misbehaving client stalls only itself.
 * - Never throws into the event loop: socket errors destroy this socket only.
 */
export class Connection {
  readonly #socket: Socket;
  readonly #host: ConnectionHost;
  readonly #decoder: CommandDecoder;
  readonly #writer = new ByteWriter(16 * 1024);
  readonly #replies = new ReplyQueue();
  /** Requests sent to the cluster and not yet settled. */
  #inflight = 0;
  /** Set while a request must wait for every earlier one (see `#pump`). */
  #isFenced = false;
  /** A request that must wait for every earlier one (see `#mustWait`). */
  #held: CacheCommand | undefined;
  /** Keys with a write of this connection in flight, and how many. */
  readonly #writeKeys = new Map<string, number>();
  #isPeerEnded = false;
  #isPumpScheduled = false;
  #state: State = State.OPEN;
  #lingerTimer: NodeJS.Timeout | undefined;
  readonly #onDrain = (): void => this.#pump();

  constructor(socket: Socket, host: ConnectionHost) {
    this.#socket = socket;
    this.#host = host;
    this.#decoder = new CommandDecoder(host.decoderOptions);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    // The server allows half-open sockets: a client may send its requests, shut down its side
    // and still read every reply (memcached answers everything it has read before it closes).
    socket.on('end', () => {
      this.#isPeerEnded = true;
      this.#pump();
    });
    socket.on('drain', this.#onDrain);
    // ECONNRESET, EPIPE…: the peer is gone; 'close' follows.
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.#onClose());
  }

  /** Requests decoded whose replies are not yet written. */
  get pendingCount(): number {
    return this.#replies.length;
  }

  /** What this connection holds now, for tests of its bounds. */
  bufferState(): ConnectionBufferState {
    return {
      pendingCount: this.pendingCount,
      inflightCount: this.#inflight,
      unsentBytes: this.#socket.writableLength,
      undecodedBytes: this.#decoder.bufferedBytes,
      isReading: !this.#socket.isPaused(),
    };
  }

  /**
   * Graceful close (server shutdown): reads no more input, lets requests already running finish,
   * writes their replies, then closes. Requests not yet decoded are dropped.
   */
  shutdown(): void {
    if (this.#state !== State.OPEN) return;
    this.#state = State.CLOSING;
    this.#pump();
  }

  /** Abrupt close: drops the socket now. */
  destroy(): void {
    this.#socket.destroy();
  }

  /** Runs the pump `schedulePump` asked for (called by the host, once per request). */
  runScheduledPump(): void {
    this.#isPumpScheduled = false;
    this.#pump();
  }

  #onData(chunk: Buffer): void {
    this.#host.stats.bytesRead += chunk.length;
    if (this.#state !== State.OPEN) return;
    this.#decoder.push(chunk);
    // Decode on the host's shared tick, not now: the requests of every socket read in this turn
    // of the event loop then reach the cluster together and travel in one batch per node.
    this.#schedulePump();
  }

  /**
   * Decodes and starts requests while the bounds allow, writes the replies that are ready, then
   * pauses or resumes reading. Runs after every read, settle tick and 'drain'.
   */
  #pump(): void {
    if (this.#state === State.CLOSED) return;
    for (;;) {
      const isStalled = this.#decode();
      this.#flush();
      // Writing may have lifted the bound that stopped decoding (replies went out, the kernel
      // took them): go on, or nothing would wake this connection while its socket is paused.
      if (!isStalled || this.#state !== State.OPEN || this.#isBlocked()) break;
    }
    this.#updateReading();
  }

  /** True while a bound forbids starting another request (see `CONNECTION_LIMITS`). */
  #isBlocked(): boolean {
    return (
      (this.#isFenced && this.#inflight > 0) ||
      this.pendingCount >= CONNECTION_LIMITS.MAX_PENDING ||
      this.#socket.writableLength >= CONNECTION_LIMITS.WRITE_HIGH_WATER_BYTES
    );
  }

  /** Decodes and starts requests; true when it stopped for a bound rather than for input. */
  #decode(): boolean {
    while (this.#state === State.OPEN) {
      if (this.#isBlocked()) return true;
      if (this.#isFenced) {
        this.#isFenced = false;
        const held = this.#held;
        if (held !== undefined) {
          this.#held = undefined;
          this.#run(held);
          continue;
        }
      }
      const item = this.#decoder.next();
      if (item === undefined) {
        // Everything the peer sent before its FIN is decoded: answer it, then close.
        if (this.#isPeerEnded) this.#state = State.CLOSING;
        return false;
      }
      this.#accept(item);
    }
    return false;
  }

  #accept(item: DecodeResult): void {
    if (item.type === 'invalid') {
      this.#host.stats.countInvalid(item.message);
      // memcached unlinks the old value of a key whose new value it refused: a reader must not
      // see data the client meant to replace. Sent now, so it is ordered before later requests.
      if (item.unlinkKey !== undefined) this.#unlink(item.unlinkKey);
      if (item.reply !== undefined) this.#replies.push(lineBytes(item.reply));
      if (item.close) this.#state = State.CLOSING;
      return;
    }
    if (this.#inflight > 0 && this.#mustWait(item)) {
      this.#held = item;
      this.#isFenced = true;
      return;
    }
    this.#run(item);
  }

  /**
   * True when `command` may not run while earlier requests are in flight. `stats` and
   * `flush_all` depend on everything before them. A read of a key this connection is writing
   * could overtake the write: the cluster holds a key's writes behind its conditional ones
   * (add, cas, incr…) but sends reads straight to the primary. Waiting keeps a pipeline's
   * read-your-writes order, as memcached's serial execution gives it.
   */
  #mustWait(command: CacheCommand): boolean {
    switch (command.type) {
      case 'stats':
      case 'flush_all':
      case 'lru_crawler':
        return true;
      case 'get':
      case 'gets':
      case 'gat':
      case 'gats':
        if (this.#writeKeys.size === 0) return false;
        for (const key of command.keys) if (this.#writeKeys.has(key)) return true;
        return false;
      default:
        return false;
    }
  }

  #run(command: CacheCommand): void {
    switch (command.type) {
      case 'quit':
        this.#state = State.CLOSING;
        return;
      case 'stats':
      case 'version':
        this.#replies.push(this.#host.serverReply(command));
        return;
      case 'verbosity': {
        const reply = this.#host.serverReply(command);
        if (!command.noreply) this.#replies.push(reply);
        return;
      }
      case 'flush_all':
        this.#execute(command);
        // Later requests wait: a pipelined `set` must not land before the flush.
        this.#isFenced = true;
        return;
      default:
        this.#execute(command);
    }
  }

  #unlink(key: string): void {
    this.#inflight++;
    this.#addWrite(key);
    const done = (): void => {
      this.#inflight--;
      this.#removeWrite(key);
      this.#schedulePump();
    };
    this.#host.cache.delete(key).then(done, done);
  }

  #execute(command: CacheCommand): void {
    const ticket = this.#replies.reserve();
    this.#inflight++;
    if ('key' in command) this.#addWrite(command.key);
    // Run noreply requests for their reply anyway: the stats count outcomes memcached counts.
    const run: CacheCommand =
      'noreply' in command && command.noreply ? { ...command, noreply: false } : command;
    this.#host.cache.execute(run).then(
      (response) => this.#settle(ticket, command, response),
      (err: unknown) => this.#settle(ticket, command, toReply(err)),
    );
  }

  #settle(ticket: number, command: CacheCommand, response: CacheResponse): void {
    this.#inflight--;
    if ('key' in command) this.#removeWrite(command.key);
    this.#host.stats.countCommand(command, response);
    if (this.#state === State.CLOSED) return;
    this.#replies.settle(ticket, 'noreply' in command && command.noreply ? NONE : response);
    // The last request in flight: every reply is ready, write now rather than a turn later
    // (what a one-request-at-a-time client waits on). Otherwise gather the others first.
    if (this.#inflight === 0) this.#pump();
    else this.#schedulePump();
  }

  /**
   * Pumps on the host's next shared tick (the check phase of this turn of the event loop):
   * replies settled in one turn (a node answers a whole batch at once) go out in one write.
   */
  #schedulePump(): void {
    if (this.#isPumpScheduled || this.#state === State.CLOSED) return;
    this.#isPumpScheduled = true;
    this.#host.schedulePump(this);
  }

  #addWrite(key: string): void {
    this.#writeKeys.set(key, (this.#writeKeys.get(key) ?? 0) + 1);
  }

  #removeWrite(key: string): void {
    const count = this.#writeKeys.get(key) ?? 0;
    if (count <= 1) this.#writeKeys.delete(key);
    else this.#writeKeys.set(key, count - 1);
  }

  /**
   * Encodes the settled replies at the head of the FIFO and writes them, up to the high-water
   * mark per write. Goes on while the socket takes the bytes at once: a write the kernel absorbs
   * whole returns true and no 'drain' follows, so stopping there would strand the replies.
   */
  #flush(): void {
    const writer = this.#writer;
    const socket = this.#socket;
    for (;;) {
      const budgetBytes = CONNECTION_LIMITS.WRITE_HIGH_WATER_BYTES - socket.writableLength;
      if (budgetBytes <= 0) break;
      this.#replies.encodeReady(writer, budgetBytes);
      if (writer.length === 0) break;
      const out = writer.take();
      this.#host.stats.bytesWritten += out.length;
      // false: the socket is over its own mark; 'drain' calls `#pump` again.
      if (!socket.write(out) || !this.#replies.isHeadReady) break;
    }
    if (this.#state === State.CLOSING && this.#inflight === 0 && this.#replies.length === 0) {
      this.#end();
    }
  }

  #updateReading(): void {
    const socket = this.#socket;
    // Read no more while a bound holds: input would only pile up in the decoder.
    if (this.#state !== State.OPEN || this.#isBlocked()) {
      if (!socket.isPaused()) socket.pause();
    } else if (socket.isPaused()) {
      socket.resume();
    }
  }

  /** Closes once the last reply is handed to the kernel, as memcached's close() does. */
  #end(): void {
    if (this.#lingerTimer !== undefined) return;
    this.#lingerTimer = setTimeout(() => this.#socket.destroy(), CONNECTION_LIMITS.CLOSE_LINGER_MS);
    this.#lingerTimer.unref();
    this.#socket.end(() => this.#socket.destroy());
  }

  #onClose(): void {
    if (this.#state === State.CLOSED) return;
    this.#state = State.CLOSED;
    if (this.#lingerTimer !== undefined) clearTimeout(this.#lingerTimer);
    this.#replies.clear();
    this.#held = undefined;
    this.#host.connectionClosed(this);
  }
}
