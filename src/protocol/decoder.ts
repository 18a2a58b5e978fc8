/**
 * The streaming decoder of the memcached text protocol: bytes in, commands out, in order, with
 * memcached's own answer for bad input (protocol.txt; memcached 1.6.18's `proto_text.c`).
 *
 * ```
 *  push(chunk) ──► chunks[head..]      next() ──► LINE ──`\n`──► LineParser ──► command / invalid
 *                    │ pos                            │                  └─ DATA_BLOCK
 *                    ▼                                ▼ (line spans chunks)        ▼
 *                  bytes are read in place       line carry buffer      DATA: value + "\r\n"
 *                                                (bounded)              SWALLOW: refused block
 * ```
 *
 * It works on bytes: it scans for `\n` with `indexOf`, tokenizes by offsets and only turns keys
 * into strings. Every input byte is examined a bounded number of times whatever the chunking, so
 * feeding byte by byte is O(n) overall.
 */

import { BlockReader, ChunkQueue, LineAssembler } from './chunk-reader.js';
import type { CacheCommand } from './commands.js';
import {
  DEFAULT_GET_LINE_MAX_BYTES,
  DEFAULT_ITEM_MAX_BYTES,
  LEADING_SPACES_MAX,
  LINE_MAX_BYTES,
} from './limits.js';
import { DATA_BLOCK, LineParser } from './line-parser.js';
import { type InvalidInput, invalidArguments, LINE_TOO_LONG, REPLY } from './replies.js';

export type { InvalidInput } from './replies.js';

/** What `CommandDecoder.next` yields: a command, or bad input with memcached's reply for it. */
export type DecodeResult = CacheCommand | InvalidInput;

export interface DecoderOptions {
  /**
   * Largest data block accepted, in bytes (default 1 MiB, memcached's `-I`). A storage command
   * declaring more is answered `SERVER_ERROR object too large for cache` and its block is
   * discarded as it arrives, never buffered. Bounds the memory one command can hold.
   */
  readonly itemMaxBytes?: number;
  /**
   * Longest `get`/`gets`/`gat`/`gats` line in bytes (default 1 MiB). Other lines are capped at
   * `LINE_MAX_BYTES` (2048) as in memcached. A longer line closes the connection.
   */
  readonly getLineMaxBytes?: number;
}

const SPACE = 0x20;

const State = { LINE: 0, DATA: 1, SWALLOW: 2, CLOSED: 3 } as const;
type State = (typeof State)[keyof typeof State];

/**
 * Decodes a byte stream of memcached text-protocol commands, one connection's worth.
 *
 * Guarantees:
 * - The same bytes yield the same results however they are split into chunks.
 * - `next()` never throws; bad input yields an `InvalidInput` whose `reply` is memcached's exact
 *   line, and decoding resumes where memcached resumes (after `CLIENT_ERROR bad data chunk` it
 *   reads the next line right after the `<bytes> + 2` it consumed; after a bad storage command
 *   line the data block is read as a command line, as memcached 1.6.18 does).
 * - Memory is bounded: a pending line by its limit, a data block by `itemMaxBytes`. After an
 *   `InvalidInput` with `close`, the decoder drops its buffers and yields nothing more.
 * - A value whose block lies inside one pushed chunk is a `subarray` of it (no copy); one that
 *   spans chunks is copied once, into its own buffer. So `push` takes ownership of `chunk`:
 *   do not write into it afterwards. Chunks pushed but not yet decoded are kept: the caller
 *   applies back-pressure (see `bufferedBytes`).
 * - `quit` is yielded like any command; the caller closes the connection.
 */
export class CommandDecoder {
  readonly #parser: LineParser;
  readonly #getLineMaxBytes: number;

  readonly #lines: LineAssembler;

  #state: State = State.LINE;
  /** Pushed chunks, read from `pos`. */
  readonly #input = new ChunkQueue();
  /** The data block being read: its value (a view or our own copy) and bytes consumed so far. */
  readonly #block = new BlockReader();
  /** Bytes of a refused data block still to discard. */
  #skip = 0;

  constructor(options: DecoderOptions = {}) {
    this.#parser = new LineParser(options.itemMaxBytes ?? DEFAULT_ITEM_MAX_BYTES);
    this.#getLineMaxBytes = Math.max(
      LINE_MAX_BYTES,
      options.getLineMaxBytes ?? DEFAULT_GET_LINE_MAX_BYTES,
    );
    this.#lines = new LineAssembler(this.#getLineMaxBytes);
  }

  /** Queues bytes received from the peer. Ignored once the decoder has closed. */
  push(chunk: Uint8Array): void {
    if (this.#state === State.CLOSED || chunk.length === 0) return;
    this.#input.push(chunk);
  }

  /**
   * The next command or bad-input item, or undefined when more bytes are needed (or the decoder
   * has closed). Call it until it returns undefined after each `push`.
   */
  next(): DecodeResult | undefined {
    for (;;) {
      const chunk = this.#input.current();
      if (chunk === undefined) return undefined;
      let result: DecodeResult | undefined;
      switch (this.#state) {
        case State.LINE:
          result = this.#readLine(chunk);
          break;
        case State.DATA:
          result = this.#readBlock(chunk);
          break;
        case State.SWALLOW:
          this.#swallow(chunk);
          break;
        case State.CLOSED:
          return undefined;
      }
      if (result !== undefined) return result;
    }
  }

  /** Bytes held and not yet decoded: queued input, a partial line, a partial value. */
  get bufferedBytes(): number {
    let total = this.#lines.pending + this.#input.bufferedBytes;
    if (this.#state === State.DATA) total += Math.min(this.#block.read, this.#block.length);
    return total;
  }

  /** True once bad input closed the stream (see `InvalidInput.close`). */
  get isClosed(): boolean {
    return this.#state === State.CLOSED;
  }

  #readLine(chunk: Uint8Array): DecodeResult | undefined {
    const lines = this.#lines;
    this.#input.pos = lines.scan(chunk, this.#input.pos);
    // The line so far, whole or not, already tells when it is too long.
    const { bytes, start, end } = lines;
    if (end - start > LINE_MAX_BYTES && !this.#fits(bytes, start, end - start)) {
      return this.#close(LINE_TOO_LONG);
    }
    if (!lines.complete) return undefined;

    const parser = this.#parser;
    const result = parser.parse(bytes, start, end);
    if (result === DATA_BLOCK) {
      this.#state = State.DATA;
      this.#block.start(parser.length);
      return undefined;
    }
    if (parser.skipBytes > 0) {
      this.#state = State.SWALLOW;
      this.#skip = parser.skipBytes;
    } else if (result.type === 'invalid' && result.close) {
      return this.#close(result);
    }
    return result;
  }

  /**
   * True when a line of `length` bytes over `LINE_MAX_BYTES` may go on: memcached lets only a
   * multiget grow (after at most 100 leading spaces, `get ` or `gets `); we also let `gat`/`gats`
   * through, which memcached accepts only when the whole line arrives in one read.
   */
  #fits(bytes: Uint8Array, start: number, length: number): boolean {
    if (length > this.#getLineMaxBytes) return false;
    let i = start;
    const end = start + length;
    while (i < end && bytes[i] === SPACE) i++;
    if (i - start > LEADING_SPACES_MAX) return false;
    // "get " | "gets " | "gat " | "gats "
    if (bytes[i] !== 0x67 || bytes[i + 2] !== 0x74) return false;
    if (bytes[i + 1] !== 0x65 && bytes[i + 1] !== 0x61) return false;
    const next = bytes[i + 3];
    return next === SPACE || (next === 0x73 && bytes[i + 4] === SPACE); // " " | "s "
  }

  /** Reads the data block (`length` bytes, then `\r\n`) of the pending storage command. */
  #readBlock(chunk: Uint8Array): DecodeResult | undefined {
    const block = this.#block;
    this.#input.pos = block.consume(chunk, this.#input.pos);
    if (!block.done) return undefined;

    const value = block.take();
    this.#state = State.LINE;
    const parser = this.#parser;
    // memcached reads exactly `<bytes> + 2` and then checks for `\r\n` (complete_nread_ascii).
    if (!block.terminated) return invalidArguments(REPLY.BAD_DATA_CHUNK, parser.noreply);
    const { storeType: type, key, flags, exptime, noreply } = parser;
    if (type === 'cas') return { type, key, flags, exptime, value, cas: parser.cas, noreply };
    return { type, key, flags, exptime, value, noreply };
  }

  #swallow(chunk: Uint8Array): void {
    const count = Math.min(this.#skip, chunk.length - this.#input.pos);
    this.#input.pos += count;
    this.#skip -= count;
    if (this.#skip === 0) this.#state = State.LINE;
  }

  /** Drops everything and stops: memcached hangs up on this input. */
  #close(reason: InvalidInput): InvalidInput {
    this.#state = State.CLOSED;
    this.#input.clear();
    this.#lines.release();
    this.#block.clear();
    return reason;
  }
}
