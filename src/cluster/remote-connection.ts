/**
 * One pipelined TCP connection to a memcached-protocol server. Commands are written as they
 * come; replies arrive in the order of the commands (memcached answers one connection's commands
 * in order), so each reply goes to the oldest handler still waiting:
 *
 * ```
 *   send(bytes, [h1, h2]) ──► socket ──► server ──► bytes ──► ReplyDecoder ──► h1 (parts…, final)
 *                                                                         └──► h2 …
 * ```
 *
 * Every wait is bounded: connecting by `connectTimeoutMs`; replies by `requestTimeoutMs` of no
 * progress (the oldest command has waited that long since the last reply, or since it was sent
 * when nothing was outstanding), so a long pipeline that keeps answering never times out, and a
 * silent server always does. A connection that fails — error, timeout, a reply it cannot frame —
 * is destroyed: a pipelined stream whose replies can no longer be matched is of no use. Its
 * waiting handlers fail with NodeUnavailableError.
 */

import { type Socket, connect as tcpConnect } from 'node:net';
import {
  type CacheError,
  InvalidArgumentError,
  NodeUnavailableError,
  NotNumericError,
  OutOfMemoryError,
  TooLargeError,
} from '../errors.js';
import {
  type FinalReply,
  isReplyPart,
  ReplyDecoder,
  type ReplyItem,
  type ReplyPart,
} from '../protocol/reply-decoder.js';

/** A remote server's address. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/**
 * Parses `host:port` (`[::1]:11211` for IPv6). Throws InvalidArgumentError for anything else,
 * including the port-less form: a ring node's address is explicit.
 */
export function parseEndpoint(addr: string): Endpoint {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/.exec(addr);
  const port = match ? Number(match[3]) : 0;
  if (!match || port < 1 || port > 65535) {
    throw new InvalidArgumentError(`server address must be 'worker' or 'host:port', got ${addr}`);
  }
  return { host: match[1] ?? match[2]!, port };
}

/** Receives the reply to one command: its parts, then exactly one of `onReply` / `onFail`. */
export interface ReplyHandler {
  /** Whether the command changes data: losing it leaves the node behind its replicas. */
  readonly isWrite: boolean;
  onPart(part: ReplyPart): void;
  /**
   * The final item. Returns false when it is not an answer the command can get: the stream is
   * out of step, and the connection fails (this handler included, through `onFail`).
   */
  onReply(reply: FinalReply): boolean;
  onFail(err: Error): void;
}

/** What a broken connection still owed, for the failure detector. */
export interface BreakInfo {
  /** A command that changes data was written and not answered (or not written at all). */
  readonly hadWrites: boolean;
  /** Any command was waiting. */
  readonly hadPending: boolean;
  /** The TCP connection had been established. */
  readonly wasConnected: boolean;
}

export interface ConnectionEvents {
  /** A reply arrived: the server is answering. */
  onAnswer(): void;
  /** The connection broke (called once, before its handlers fail). */
  onBreak(connection: RemoteConnection, err: NodeUnavailableError, info: BreakInfo): void;
}

export interface ConnectionOptions {
  readonly connectTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly valueMaxBytes: number;
}

/** One pipelined connection (see the module comment); opened by its constructor. */
export class RemoteConnection {
  readonly #socket: Socket;
  readonly #decoder: ReplyDecoder;
  readonly #options: ConnectionOptions;
  readonly #events: ConnectionEvents;
  readonly #label: string;
  /** Handlers waiting for their final reply, oldest first from `#head`. */
  #waiting: ReplyHandler[] = [];
  #head = 0;
  #isConnected = false;
  #isClosed = false;
  #isCorked = false;
  #connectTimer: NodeJS.Timeout | undefined;
  #replyTimer: NodeJS.Timeout | undefined;
  /** The second look at an overdue reply, after the poll phase. */
  #replyCheck: NodeJS.Immediate | undefined;
  /** When the oldest waiting command last saw progress (ms, monotonic). */
  #progressAt = 0;
  readonly #uncork = (): void => {
    this.#isCorked = false;
    if (!this.#isClosed) this.#socket.uncork();
  };

  constructor(endpoint: Endpoint, options: ConnectionOptions, events: ConnectionEvents) {
    this.#options = options;
    this.#events = events;
    this.#label = `${endpoint.host}:${endpoint.port}`;
    this.#decoder = new ReplyDecoder({ valueMaxBytes: options.valueMaxBytes });
    const socket = tcpConnect({ host: endpoint.host, port: endpoint.port });
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.unref();
    this.#connectTimer = setTimeout(
      // judged after the poll phase: a connect the kernel completed while the event loop was
      // busy has not been seen yet when timers run
      () =>
        setImmediate(() => {
          if (!this.#isConnected) this.#fail(`connect to ${this.#label} timed out`);
        }),
      options.connectTimeoutMs,
    );
    this.#connectTimer.unref();
    socket.once('connect', () => {
      this.#isConnected = true;
      clearTimeout(this.#connectTimer);
      socket.setKeepAlive(true, 10_000);
    });
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (err) => this.#fail(`${this.#label}: ${err.message}`));
    socket.on('close', () => this.#fail(`${this.#label} closed the connection`));
  }

  /** Commands written and not yet answered. */
  get pendingCount(): number {
    return this.#waiting.length - this.#head;
  }

  get isClosed(): boolean {
    return this.#isClosed;
  }

  /**
   * Writes `bytes` (one or more commands) and queues their handlers, one per final reply
   * expected, in order. Writes made in the same tick leave in one segment (cork until next tick).
   * On a closed connection the handlers fail at once.
   */
  send(bytes: Uint8Array, handlers: readonly ReplyHandler[]): void {
    if (this.#isClosed) {
      const err = new NodeUnavailableError(`connection to ${this.#label} is closed`);
      for (const h of handlers) h.onFail(err);
      return;
    }
    if (this.pendingCount === 0) {
      this.#progressAt = performance.now();
      this.#socket.ref();
    }
    for (const h of handlers) this.#waiting.push(h);
    if (!this.#isCorked) {
      this.#isCorked = true;
      this.#socket.cork();
      process.nextTick(this.#uncork);
    }
    this.#socket.write(bytes);
    this.#armReplyTimer();
  }

  /** Destroys the connection; waiting handlers fail with `err`. No `onBreak`. */
  destroy(err: NodeUnavailableError): void {
    if (this.#isClosed) return;
    this.#close();
    this.#failWaiting(err);
  }

  /** Ends the connection once every waiting command is answered (or has failed). */
  async end(): Promise<void> {
    while (this.pendingCount > 0 && !this.#isClosed) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    if (this.#isClosed) return;
    this.#close();
  }

  #close(): void {
    this.#isClosed = true;
    clearTimeout(this.#connectTimer);
    clearTimeout(this.#replyTimer);
    clearImmediate(this.#replyCheck);
    this.#replyTimer = undefined;
    this.#socket.destroy();
  }

  #onData(chunk: Buffer): void {
    if (this.#isClosed) return;
    const decoder = this.#decoder;
    decoder.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
    for (let item = decoder.next(); item !== undefined; item = decoder.next()) {
      if (!this.#deliver(item)) return;
    }
  }

  /** Hands one item to the oldest waiting handler; false once the connection has failed. */
  #deliver(item: ReplyItem): boolean {
    const handler = this.#waiting[this.#head];
    if (item.type === 'invalid') {
      this.#fail(`${this.#label} sent a reply that breaks the protocol: ${item.message}`);
      return false;
    }
    if (handler === undefined) {
      this.#fail(`${this.#label} sent a reply nobody asked for`);
      return false;
    }
    this.#progressAt = performance.now();
    if (isReplyPart(item)) {
      handler.onPart(item);
      return true;
    }
    this.#waiting[this.#head++] = DONE;
    if (this.#head > 1024 && this.#head * 2 > this.#waiting.length) {
      this.#waiting = this.#waiting.slice(this.#head);
      this.#head = 0;
    }
    if (this.pendingCount === 0) {
      this.#waiting.length = 0;
      this.#head = 0;
      this.#socket.unref();
    }
    this.#events.onAnswer();
    if (handler.onReply(item)) return true;
    const err = this.#fail(`${this.#label} answered out of step (${describe(item)})`);
    handler.onFail(err);
    return false;
  }

  #armReplyTimer(): void {
    if (this.#replyTimer !== undefined || this.#replyCheck !== undefined) return;
    this.#replyTimer = setTimeout(() => this.#onReplyTimer(), this.#options.requestTimeoutMs);
  }

  /** Fires at most once per timeout period; re-arms for the remaining time of the oldest wait. */
  #onReplyTimer(): void {
    this.#replyTimer = undefined;
    if (this.#isClosed || this.pendingCount === 0) return;
    const waitedMs = performance.now() - this.#progressAt;
    const timeoutMs = this.#options.requestTimeoutMs;
    if (waitedMs >= timeoutMs) {
      // Timers run before the poll phase: replies that arrived while the event loop was busy
      // are read first, so a slow loop is not taken for a slow server.
      const progressAt = this.#progressAt;
      this.#replyCheck = setImmediate(() => {
        this.#replyCheck = undefined;
        if (this.#isClosed || this.pendingCount === 0) return;
        if (this.#progressAt === progressAt)
          this.#fail(`${this.#label} did not answer within ${timeoutMs} ms`);
        else this.#onReplyTimer();
      });
      return;
    }
    this.#replyTimer = setTimeout(() => this.#onReplyTimer(), timeoutMs - waitedMs);
  }

  /** Breaks the connection once: reports it, then fails what it owed. */
  #fail(reason: string): NodeUnavailableError {
    const err = new NodeUnavailableError(reason);
    if (this.#isClosed) return err;
    const info: BreakInfo = {
      hadWrites: this.#waiting.some((h, i) => i >= this.#head && h.isWrite),
      hadPending: this.pendingCount > 0,
      wasConnected: this.#isConnected,
    };
    this.#close();
    // The detector decides first (a lost write kills the node), so no handler's failure can be
    // acted on (a read failing over, a write acknowledged by the other replicas) before it has.
    this.#events.onBreak(this, err, info);
    this.#failWaiting(err);
    return err;
  }

  #failWaiting(err: Error): void {
    const waiting = this.#waiting.slice(this.#head);
    this.#waiting = [];
    this.#head = 0;
    for (const h of waiting) h.onFail(err);
  }
}

/** A placeholder for answered slots, so the queue holds no stale handler. */
const DONE: ReplyHandler = {
  isWrite: false,
  onPart: () => {},
  onReply: () => true,
  onFail: () => {},
};

function describe(reply: FinalReply): string {
  switch (reply.type) {
    case 'status':
      return reply.status;
    case 'error':
      return `${reply.kind} ${reply.message}`.trim();
    case 'line':
      return reply.line;
    default:
      return reply.type;
  }
}

/**
 * The typed error for a remote `ERROR` / `CLIENT_ERROR` / `SERVER_ERROR` reply: the same class a
 * worker node would raise for the same condition, recognised by memcached's fixed reply texts
 * (protocol.txt "Error strings"; these are wire data, not our own messages). A server error we
 * do not recognise is the server failing the command: NodeUnavailableError, so a read fails over.
 */
export function remoteError(
  reply: Extract<FinalReply, { type: 'error' }>,
  command: string,
): CacheError {
  const text = reply.message;
  if (reply.kind === 'CLIENT_ERROR') {
    if (text.startsWith('cannot increment or decrement non-numeric value'))
      return new NotNumericError();
    return new InvalidArgumentError(`${command}: CLIENT_ERROR ${text}`);
  }
  if (reply.kind === 'SERVER_ERROR') {
    if (text.startsWith('object too large for cache')) return new TooLargeError();
    if (text.startsWith('out of memory')) return new OutOfMemoryError();
    return new NodeUnavailableError(`${command}: SERVER_ERROR ${text}`);
  }
  return new InvalidArgumentError(`${command}: the server does not support it (ERROR ${text})`);
}

/** One command's whole reply: its parts (VALUE, STAT or metadump lines) and its final item. */
export interface CommandReply {
  readonly parts: readonly ReplyPart[];
  readonly final: FinalReply;
}

/**
 * A handler that gathers one command's reply into a promise: parts are kept unless `onPart` is
 * given (a metadump streams through it instead of being held). It accepts any final item; the
 * caller checks it. Rejects with the connection's NodeUnavailableError.
 */
export class CollectingHandler implements ReplyHandler {
  readonly isWrite: boolean;
  readonly promise: Promise<CommandReply>;
  readonly #parts: ReplyPart[] = [];
  readonly #visit: ((part: ReplyPart) => void) | undefined;
  #resolve!: (reply: CommandReply) => void;
  #reject!: (err: Error) => void;

  constructor(isWrite: boolean, visit?: (part: ReplyPart) => void) {
    this.isWrite = isWrite;
    this.#visit = visit;
    this.promise = new Promise<CommandReply>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  onPart(part: ReplyPart): void {
    if (this.#visit) this.#visit(part);
    else this.#parts.push(part);
  }

  onReply(reply: FinalReply): boolean {
    this.#resolve({ parts: this.#parts, final: reply });
    return true;
  }

  onFail(err: Error): void {
    this.#reject(err);
  }
}
