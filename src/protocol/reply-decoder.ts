/**
 * The streaming decoder of memcached REPLIES (the client side of the text protocol): bytes from
 * a server in, reply items out, in order. It reads what stock memcached 1.6 and a shardcache
 * server send (protocol.txt "Retrieval command", "Storage commands", "Statistics", "Meta Get",
 * `lru_crawler metadump`):
 *
 * ```
 *   VALUE <key> <flags> <bytes> [<cas>]\r\n<data>\r\n   ─► part  'value'     ┐ a multi-line reply:
 *   STAT <name> <value>\r\n                             ─► part  'stat'      │ parts, then the
 *   key=<uri-encoded> exp=… la=… cas=… fetch=… …\n      ─► part  'metadump'  │ final 'end'
 *   END\r\n                                             ─► final 'end'       ┘
 *   STORED | NOT_STORED | EXISTS | NOT_FOUND | DELETED | TOUCHED | OK | RESET ─► final 'status'
 *   <digits>[ spaces]                                   ─► final 'number'  (incr/decr)
 *   ERROR [msg] | CLIENT_ERROR msg | SERVER_ERROR msg   ─► final 'error'
 *   VERSION <v>                                         ─► final 'version'
 *   VA <size> <flags>*\r\n<data>\r\n | HD|EN|NF|NS|EX|MN|ME …  ─► final 'meta'
 *   anything else (BUSY …, BADCLASS …)                  ─► final 'line'
 * ```
 *
 * Every command a client sends is answered by exactly one final item, preceded by zero or more
 * parts; a client that pipelines matches finals to its requests in order. The decoder itself
 * keeps no request state, so a bare `END` is one final whatever was asked (an empty `get`, an
 * empty `stats` listing or an empty metadump all end that way).
 *
 * It works on bytes: lines end at `\n` (a preceding `\r` is dropped: metadump lines end with a
 * bare `\n`), data blocks are read by their declared length, so binary values never confuse the
 * framing. The same bytes give the same items however they are chunked.
 *
 * Memory is bounded: a line by `lineMaxBytes`, a data block by `valueMaxBytes`. A reply that
 * breaks the framing (a line too long, a value header that does not parse, a block not ended by
 * `\r\n`) yields one `invalid` item and the decoder closes: the stream cannot be trusted after it.
 */

import { BlockReader, ChunkQueue, LineAssembler } from './chunk-reader.js';
import type { ErrorKind } from './commands.js';
import { type MetadumpPart, parseMetadump } from './metadump.js';

export { decodeUriBytes, type MetadumpPart } from './metadump.js';

/** One item of a `VALUE` reply (get, gets, gat, gats). */
export interface ValuePart {
  readonly type: 'value';
  readonly key: string;
  readonly flags: number;
  /** Present when the server sent a CAS unique (`gets`, `gats`). */
  readonly cas: bigint | undefined;
  readonly value: Uint8Array;
}

/** One `STAT <name> <value>` line. */
export interface StatPart {
  readonly type: 'stat';
  readonly name: string;
  readonly value: string;
}

export type ReplyPart = ValuePart | StatPart | MetadumpPart;

/** Storage, delete, touch and misc status words. */
export const REPLY_STATUSES = [
  'STORED',
  'NOT_STORED',
  'EXISTS',
  'NOT_FOUND',
  'DELETED',
  'TOUCHED',
  'OK',
  'RESET',
] as const;
export type ReplyStatus = (typeof REPLY_STATUSES)[number];

/** Meta protocol return codes (protocol.txt "Meta Get" and the other meta commands). */
export const META_CODES = ['VA', 'HD', 'EN', 'NF', 'NS', 'EX', 'MN', 'ME'] as const;
export type MetaCode = (typeof META_CODES)[number];

/** The item that ends one command's reply. */
export type FinalReply =
  | { readonly type: 'end' }
  | { readonly type: 'status'; readonly status: ReplyStatus }
  /** incr/decr result. */
  | { readonly type: 'number'; readonly value: bigint }
  | { readonly type: 'version'; readonly version: string }
  /** `ERROR` (its message may be empty), `CLIENT_ERROR <message>`, `SERVER_ERROR <message>`. */
  | { readonly type: 'error'; readonly kind: ErrorKind; readonly message: string }
  /**
   * A meta reply: its code, its return flags as tokens (`f5`, `t-1`, `c12`), and for `VA` the
   * data block.
   */
  | {
      readonly type: 'meta';
      readonly code: MetaCode;
      readonly flags: readonly string[];
      readonly value: Uint8Array | undefined;
    }
  /** Any other line, verbatim: `BUSY …` and `BADCLASS …` from lru_crawler, for example. */
  | { readonly type: 'line'; readonly line: string };

/** The stream broke the framing; the decoder has closed. */
export interface InvalidReply {
  readonly type: 'invalid';
  readonly message: string;
}

export type ReplyItem = ReplyPart | FinalReply | InvalidReply;

/** True for the items that belong to a multi-line reply and do not end it. */
export function isReplyPart(item: ReplyItem): item is ReplyPart {
  return item.type === 'value' || item.type === 'stat' || item.type === 'metadump';
}

export interface ReplyDecoderOptions {
  /**
   * Longest reply line in bytes, without its line end (default 8 KiB: a metadump line of a
   * 250-byte key, fully URI-encoded, is under 1 KiB). A longer line is `invalid`.
   */
  readonly lineMaxBytes?: number;
  /** Largest data block accepted (default 64 MiB); a larger declared size is `invalid`. */
  readonly valueMaxBytes?: number;
}

const DEFAULT_LINE_MAX_BYTES = 8 * 1024;
const DEFAULT_VALUE_MAX_BYTES = 64 * 1024 * 1024;
const U32_MAX = 0xffff_ffff;
const U64_MAX = 0xffff_ffff_ffff_ffffn;

const State = { LINE: 0, DATA: 1, CLOSED: 2 } as const;
type State = (typeof State)[keyof typeof State];

const utf8 = new TextDecoder('utf-8');
const META_SET: ReadonlySet<string> = new Set(META_CODES);
const END: FinalReply = Object.freeze({ type: 'end' });
const STATUS_REPLIES = new Map<string, FinalReply>(
  REPLY_STATUSES.map((status): [string, FinalReply] => [
    status,
    Object.freeze({ type: 'status', status }),
  ]),
);

/** What the pending data block will become once read. */
type BlockHeader =
  | { readonly kind: 'value'; readonly key: string; readonly flags: number; readonly cas?: bigint }
  | { readonly kind: 'meta'; readonly flags: readonly string[] };

/**
 * Decodes one connection's reply stream. `push` the bytes read from the socket, then call
 * `next()` until it returns undefined. `push` takes ownership of the chunk: a data block inside
 * one chunk is handed out as a view of it (one spanning chunks is copied once).
 */
export class ReplyDecoder {
  readonly #lineMaxBytes: number;
  readonly #valueMaxBytes: number;
  readonly #lines: LineAssembler;
  #state: State = State.LINE;
  readonly #input = new ChunkQueue();
  /** The data block being read, and what it will become. */
  readonly #block = new BlockReader();
  #header: BlockHeader | undefined;

  constructor(options: ReplyDecoderOptions = {}) {
    this.#lineMaxBytes = options.lineMaxBytes ?? DEFAULT_LINE_MAX_BYTES;
    this.#valueMaxBytes = options.valueMaxBytes ?? DEFAULT_VALUE_MAX_BYTES;
    this.#lines = new LineAssembler(this.#lineMaxBytes);
  }

  /** Queues bytes received from the server. Ignored once closed. */
  push(chunk: Uint8Array): void {
    if (this.#state === State.CLOSED || chunk.length === 0) return;
    this.#input.push(chunk);
  }

  /** The next item, or undefined when more bytes are needed (or after `invalid`). */
  next(): ReplyItem | undefined {
    for (;;) {
      const chunk = this.#input.current();
      if (chunk === undefined) return undefined;
      let item: ReplyItem | undefined;
      if (this.#state === State.LINE) item = this.#readLine(chunk);
      else if (this.#state === State.DATA) item = this.#readBlock(chunk);
      else return undefined;
      if (item !== undefined) return item;
    }
  }

  /** True once the stream broke the framing. */
  get isClosed(): boolean {
    return this.#state === State.CLOSED;
  }

  /** Bytes held and not yet decoded. */
  get bufferedBytes(): number {
    return this.#lines.pending + this.#block.read + this.#input.bufferedBytes;
  }

  #readLine(chunk: Uint8Array): ReplyItem | undefined {
    const lines = this.#lines;
    this.#input.pos = lines.scan(chunk, this.#input.pos);
    // The line so far, whole or not, already tells when it is too long.
    if (lines.end - lines.start > this.#lineMaxBytes) return this.#close('reply line too long');
    if (!lines.complete) return undefined;
    return this.#parseLine(lines.bytes, lines.start, lines.end);
  }

  #parseLine(bytes: Uint8Array, start: number, end: number): ReplyItem | undefined {
    const line = utf8.decode(bytes.subarray(start, end));
    const first = line.charCodeAt(0);
    // Cheap dispatch on the first character before any string comparison.
    if (first >= 0x30 && first <= 0x39) return this.#parseNumber(line);
    if (line === 'END') return END;
    const status = STATUS_REPLIES.get(line);
    if (status !== undefined) return status;
    const space = line.indexOf(' ');
    const head = space < 0 ? line : line.slice(0, space);
    const rest = space < 0 ? '' : line.slice(space + 1);
    switch (head) {
      case 'VALUE':
        return this.#startValue(rest);
      case 'STAT': {
        const gap = rest.indexOf(' ');
        if (gap < 0) return { type: 'stat', name: rest, value: '' };
        return { type: 'stat', name: rest.slice(0, gap), value: rest.slice(gap + 1) };
      }
      case 'ERROR':
      case 'CLIENT_ERROR':
      case 'SERVER_ERROR':
        return { type: 'error', kind: head, message: rest };
      case 'VERSION':
        return { type: 'version', version: rest };
      case 'VA':
        return this.#startMeta(rest);
      default:
        if (META_SET.has(head)) {
          return {
            type: 'meta',
            code: head as MetaCode,
            flags: splitTokens(rest),
            value: undefined,
          };
        }
        if (line.startsWith('key=')) return parseMetadump(line);
        return { type: 'line', line };
    }
  }

  #parseNumber(line: string): ReplyItem {
    // memcached may pad a shrunken incr/decr result with spaces (protocol.txt "Increment").
    const digits = line.trimEnd();
    if (!/^\d{1,20}$/.test(digits)) return { type: 'line', line };
    const value = BigInt(digits);
    if (value > U64_MAX) return this.#close('incr/decr result over 64 bits');
    return { type: 'number', value };
  }

  /** `VALUE <key> <flags> <bytes> [<cas>]`: reads the data block next. */
  #startValue(rest: string): ReplyItem | undefined {
    const tokens = rest.split(' ');
    if (tokens.length !== 3 && tokens.length !== 4) return this.#close(`bad VALUE line`);
    const [key, flagsText, lengthText, casText] = tokens as [string, string, string, string?];
    const flags = parseUint(flagsText);
    const length = parseUint(lengthText);
    if (key.length === 0 || flags === undefined || flags > U32_MAX || length === undefined)
      return this.#close('bad VALUE line');
    let cas: bigint | undefined;
    if (casText !== undefined) {
      if (!/^\d{1,20}$/.test(casText)) return this.#close('bad VALUE line');
      cas = BigInt(casText);
      if (cas > U64_MAX) return this.#close('bad VALUE line');
    }
    return this.#startBlock(
      length,
      cas === undefined ? { kind: 'value', key, flags } : { kind: 'value', key, flags, cas },
    );
  }

  /** `VA <size> <flags>*`: reads the data block next. */
  #startMeta(rest: string): ReplyItem | undefined {
    const tokens = splitTokens(rest);
    const length = tokens[0] === undefined ? undefined : parseUint(tokens[0]);
    if (length === undefined) return this.#close('bad VA line');
    return this.#startBlock(length, { kind: 'meta', flags: tokens.slice(1) });
  }

  #startBlock(length: number, header: BlockHeader): ReplyItem | undefined {
    if (length > this.#valueMaxBytes) return this.#close(`data block of ${length} bytes`);
    this.#state = State.DATA;
    this.#header = header;
    this.#block.start(length);
    return undefined;
  }

  /** Reads `<data block>\r\n` of the pending VALUE or VA line. */
  #readBlock(chunk: Uint8Array): ReplyItem | undefined {
    const block = this.#block;
    this.#input.pos = block.consume(chunk, this.#input.pos);
    if (!block.done) return undefined;

    const value = block.take();
    const header = this.#header!;
    this.#header = undefined;
    block.read = 0; // read and handed out: no longer held (see `bufferedBytes`)
    this.#state = State.LINE;
    if (!block.terminated) return this.#close('data block not ended by \\r\\n');
    if (header.kind === 'meta') return { type: 'meta', code: 'VA', flags: header.flags, value };
    return {
      type: 'value',
      key: header.key,
      flags: header.flags,
      cas: header.cas,
      value,
    };
  }

  #close(message: string): InvalidReply {
    this.#state = State.CLOSED;
    this.#input.clear();
    this.#lines.release();
    this.#block.clear();
    this.#header = undefined;
    return { type: 'invalid', message };
  }
}

function splitTokens(text: string): string[] {
  return text.split(' ').filter((t) => t.length > 0);
}

/** A decimal safe integer, or undefined. */
function parseUint(text: string): number | undefined {
  if (!/^\d{1,15}$/.test(text)) return undefined;
  return Number(text);
}
