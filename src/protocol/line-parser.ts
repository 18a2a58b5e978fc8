/**
 * One command line (without its `\r\n`) to a `CacheCommand`, an `InvalidInput` with memcached's
 * exact reply, or `DATA_BLOCK` when a storage command's data block must be read next. The checks
 * and their order follow memcached 1.6.18's `process_command_ascii` and the `process_*_command`
 * functions of `proto_text.c`, so the same bad line gets the same reply.
 */

import { COMMAND_NAMES, COMMAND_SPECS } from './command-specs.js';
import type { CacheCommand, CommandType, StoreMode } from './commands.js';
import { checkKeyBytes, KEY_CHECK, VALUE_LENGTH_MAX } from './limits.js';
import {
  HTTP_REQUEST,
  type InvalidInput,
  invalidArguments,
  REPLY,
  tooLarge,
  UNKNOWN_COMMAND,
  WRONG_TOKEN_COUNT,
} from './replies.js';
import { ascii, decodeLatin1, decodeUtf8, LineTokens } from './tokens.js';

/** `LineParser.parse`'s answer when a data block follows: the header is in the parser's fields. */
export const DATA_BLOCK = Symbol('data block');

const NOREPLY = ascii('noreply');
const HOLD_ZERO = ascii('0');
const HTTP = ascii('HTTP/');
const VERSION: CacheCommand = Object.freeze({ type: 'version' });
const QUIT: CacheCommand = Object.freeze({ type: 'quit' });

interface NameEntry {
  readonly bytes: Uint8Array;
  readonly type: CommandType;
}

/** Length and first two bytes: distinct for every command name, so one lookup finds the name. */
function nameSignature(length: number, first: number, second: number): number {
  return (length << 16) | (first << 8) | second;
}

const NAMES = new Map<number, NameEntry>();
for (const type of COMMAND_NAMES) {
  const bytes = ascii(type);
  const signature = nameSignature(bytes.length, bytes[0]!, bytes[1]!);
  if (NAMES.has(signature)) throw new Error(`command names ${type} and another share a signature`);
  NAMES.set(signature, { bytes, type });
}

// memcached dispatches on the first byte; an unknown name starting with one of these gets
// `ERROR` from its branch and never reaches the HTTP check at the end of the chain.
const FIRST_BYTE_BRANCHES = new Set([...'gsacidt'].map((c) => c.charCodeAt(0)));
const M = 'm'.charCodeAt(0);

/** Parses command lines; one instance per connection (it reuses its token arrays). */
export class LineParser {
  readonly #tokens = new LineTokens();
  readonly #itemMaxBytes: number;

  /** Header of the storage command awaiting its data block (valid after `DATA_BLOCK`). */
  storeType: StoreMode | 'cas' = 'set';
  key = '';
  flags = 0;
  exptime = 0;
  cas = 0n;
  noreply = false;
  /** Data block length in bytes, without the trailing `\r\n`. */
  length = 0;
  /**
   * Bytes the caller must discard after the line: set with a `SERVER_ERROR object too large`
   * answer (memcached swallows the refused data block, `conn_swallow`), 0 otherwise.
   */
  skipBytes = 0;

  constructor(itemMaxBytes: number) {
    this.#itemMaxBytes = itemMaxBytes;
  }

  /** Parses `bytes[start, end)`: one line, its `\r\n` already removed. */
  parse(
    bytes: Uint8Array,
    start: number,
    end: number,
  ): CacheCommand | InvalidInput | typeof DATA_BLOCK {
    const t = this.#tokens;
    this.skipBytes = 0;
    const count = t.tokenize(bytes, start, end);
    // No command name is shorter than two bytes (memcached checks this first).
    if (count === 0 || t.length(0) < 2) return UNKNOWN_COMMAND;
    const type = this.#identify(bytes);
    if (type === undefined) return this.#unknown(bytes);
    const spec = COMMAND_SPECS[type];
    if (count < spec.minTokens || count > spec.maxTokens) return WRONG_TOKEN_COUNT;
    switch (type) {
      case 'get':
      case 'gets':
        return this.#retrieval(type, 1);
      case 'gat':
      case 'gats':
        return this.#retrieval(type, 2);
      case 'set':
      case 'add':
      case 'replace':
      case 'append':
      case 'prepend':
      case 'cas':
        return this.#storage(type, count);
      case 'incr':
      case 'decr':
        return this.#arithmetic(type, count);
      case 'touch':
        return this.#touch(count);
      case 'delete':
        return this.#delete(count);
      case 'flush_all':
        return this.#flushAll(count);
      case 'verbosity': {
        const noreply = t.equals(count - 1, NOREPLY);
        const level = t.u32(1);
        if (level < 0) return invalidArguments(REPLY.BAD_FORMAT, noreply);
        return { type, level, noreply };
      }
      case 'stats':
        return { type, group: count > 1 ? decodeLatin1(bytes, t.start(1), t.end(1)) : undefined };
      case 'version':
        return VERSION;
      case 'quit':
        return QUIT;
      case 'lru_crawler':
        return {
          type,
          subcommand: decodeLatin1(bytes, t.start(1), t.end(1)),
          argument: count > 2 ? decodeLatin1(bytes, t.start(2), t.end(2)) : undefined,
        };
    }
  }

  #identify(bytes: Uint8Array): CommandType | undefined {
    const t = this.#tokens;
    const start = t.start(0);
    const entry = NAMES.get(nameSignature(t.length(0), bytes[start]!, bytes[start + 1]!));
    return entry !== undefined && t.equals(0, entry.bytes) ? entry.type : undefined;
  }

  #unknown(bytes: Uint8Array): InvalidInput {
    const t = this.#tokens;
    const first = bytes[t.start(0)]!;
    if (FIRST_BYTE_BRANCHES.has(first) || (first === M && t.length(0) === 2))
      return UNKNOWN_COMMAND;
    // A browser or HTTP client on the memcached port: memcached hangs up instead of answering.
    return t.startsWith(t.count - 1, HTTP) ? HTTP_REQUEST : UNKNOWN_COMMAND;
  }

  /** Token `index` as a key, or undefined when it breaks the key rule or is not UTF-8. */
  #key(index: number): string | undefined {
    const t = this.#tokens;
    const bytes = t.bytes;
    const s = t.start(index);
    const e = t.end(index);
    const check = checkKeyBytes(bytes, s, e);
    if (check === KEY_CHECK.ASCII) return decodeLatin1(bytes, s, e);
    return check === KEY_CHECK.INVALID ? undefined : decodeUtf8(bytes, s, e);
  }

  // protocol.txt "Retrieval command" and "Get And Touch". A bad key fails the whole line.
  #retrieval(type: 'get' | 'gets' | 'gat' | 'gats', firstKey: number): CacheCommand | InvalidInput {
    const t = this.#tokens;
    let exptime = 0;
    if (firstKey === 2) {
      const parsed = t.i32(1);
      if (parsed === undefined) return invalidArguments(REPLY.BAD_EXPTIME, false);
      exptime = parsed;
    }
    const keys: string[] = new Array(t.count - firstKey);
    for (let i = firstKey; i < t.count; i++) {
      const key = this.#key(i);
      if (key === undefined) return invalidArguments(REPLY.BAD_FORMAT, false);
      keys[i - firstKey] = key;
    }
    return type === 'get' || type === 'gets' ? { type, keys } : { type, exptime, keys };
  }

  // protocol.txt "Storage commands"; memcached's process_update_command.
  #storage(type: StoreMode | 'cas', count: number): InvalidInput | typeof DATA_BLOCK {
    const t = this.#tokens;
    // memcached trusts `noreply` before validating anything, so it silences these errors too.
    const noreply = t.equals(count - 1, NOREPLY);
    const key = this.#key(1);
    if (key === undefined) return invalidArguments(REPLY.BAD_FORMAT, noreply);
    const flags = t.u32(2);
    const exptime = t.i32(3);
    const length = t.i32(4);
    if (flags < 0 || exptime === undefined || length === undefined) {
      return invalidArguments(REPLY.BAD_FORMAT, noreply);
    }
    let cas = 0n;
    if (type === 'cas') {
      const parsed = t.u64(5);
      if (parsed === undefined) return invalidArguments(REPLY.BAD_FORMAT, noreply);
      cas = parsed;
    }
    if (length < 0 || length > VALUE_LENGTH_MAX) return invalidArguments(REPLY.BAD_FORMAT, noreply);
    if (length > this.#itemMaxBytes) {
      this.skipBytes = length + 2;
      return tooLarge(noreply, type === 'set' ? key : undefined);
    }
    this.storeType = type;
    this.key = key;
    this.flags = flags;
    this.exptime = exptime;
    this.cas = cas;
    this.noreply = noreply;
    this.length = length;
    return DATA_BLOCK;
  }

  // protocol.txt "Increment/Decrement".
  #arithmetic(type: 'incr' | 'decr', count: number): CacheCommand | InvalidInput {
    const t = this.#tokens;
    const noreply = t.equals(count - 1, NOREPLY);
    const key = this.#key(1);
    if (key === undefined) return invalidArguments(REPLY.BAD_FORMAT, noreply);
    const delta = t.u64(2);
    if (delta === undefined) return invalidArguments(REPLY.BAD_DELTA, noreply);
    return { type, key, delta, noreply };
  }

  // protocol.txt "Touch".
  #touch(count: number): CacheCommand | InvalidInput {
    const t = this.#tokens;
    const noreply = t.equals(count - 1, NOREPLY);
    const key = this.#key(1);
    if (key === undefined) return invalidArguments(REPLY.BAD_FORMAT, noreply);
    const exptime = t.i32(2);
    if (exptime === undefined) return invalidArguments(REPLY.BAD_EXPTIME, noreply);
    return { type: 'touch', key, exptime, noreply };
  }

  // protocol.txt "Deletion": `delete <key> [0] [noreply]`. With two tokens the second is the
  // key even when it reads `noreply` (memcached looks for noreply only past the key).
  #delete(count: number): CacheCommand | InvalidInput {
    const t = this.#tokens;
    let noreply = false;
    if (count > 2) {
      const holdIsZero = t.equals(2, HOLD_ZERO);
      noreply = t.equals(count - 1, NOREPLY);
      const valid =
        (count === 3 && (holdIsZero || noreply)) || (count === 4 && holdIsZero && noreply);
      if (!valid) return invalidArguments(REPLY.DELETE_USAGE, noreply);
    }
    const key = this.#key(1);
    if (key === undefined) return invalidArguments(REPLY.BAD_FORMAT, noreply);
    return { type: 'delete', key, noreply };
  }

  // protocol.txt "Other commands": `flush_all [delay] [noreply]`. A delay <= 0 means now; the
  // delay follows exptime rules (over 30 days it is a unix time: memcached passes it to realtime()).
  #flushAll(count: number): CacheCommand | InvalidInput {
    const t = this.#tokens;
    const noreply = t.equals(count - 1, NOREPLY);
    let delaySec = 0;
    // memcached reads a delay whenever the line holds more than the name and `noreply`; an
    // extra token after the delay is ignored.
    if (count !== (noreply ? 2 : 1)) {
      const parsed = t.i32(1);
      if (parsed === undefined) return invalidArguments(REPLY.BAD_EXPTIME, noreply);
      delaySec = Math.max(parsed, 0);
    }
    return { type: 'flush_all', delaySec, noreply };
  }
}
