/**
 * Replies and commands to memcached text-protocol bytes, and typed errors to memcached's reply
 * lines. Reply formats: protocol.txt "Retrieval command", "Storage commands", "Statistics",
 * "Error strings"; the error lines are those of memcached's `proto_text.c`.
 */

import {
  assertNever,
  CacheError,
  InvalidArgumentError,
  InvalidKeyError,
  ParseError,
} from '../errors.js';
import { ByteWriter } from './byte-writer.js';
import type { CacheCommand, CacheResponse, ErrorKind } from './commands.js';
import { isValidKey, VALUE_LENGTH_MAX } from './limits.js';
import { REPLY } from './replies.js';

const STATUS_LINES = {
  stored: 'STORED',
  notStored: 'NOT_STORED',
  exists: 'EXISTS',
  notFound: 'NOT_FOUND',
  deleted: 'DELETED',
  touched: 'TOUCHED',
  ok: 'OK',
  reset: 'RESET',
} as const satisfies Partial<Record<CacheResponse['type'], string>>;

/**
 * Writes the exact bytes memcached sends for `response` into `out`, or returns them as a new
 * array when no writer is given. `none` writes nothing. Values are copied (a value may live in a
 * buffer its owner reuses once the call returns). Error messages have CR/LF replaced by spaces so
 * a reason string can never break the framing.
 */
export function encodeResponse(response: CacheResponse): Uint8Array;
export function encodeResponse(response: CacheResponse, out: ByteWriter): void;
export function encodeResponse(response: CacheResponse, out?: ByteWriter): Uint8Array | undefined {
  const writer = out ?? new ByteWriter(estimateResponseBytes(response));
  writeResponse(response, writer);
  return out === undefined ? writer.take() : undefined;
}

function writeResponse(response: CacheResponse, w: ByteWriter): void {
  switch (response.type) {
    case 'values':
      for (const item of response.items) {
        w.ascii('VALUE ');
        w.utf8(item.key);
        w.byte(0x20);
        w.decimal(item.flags);
        w.byte(0x20);
        w.decimal(item.value.length);
        if (item.cas !== undefined) {
          w.byte(0x20);
          w.bigint(item.cas);
        }
        w.crlf();
        w.bytes(item.value);
        w.crlf();
      }
      w.ascii('END\r\n');
      return;
    case 'stored':
    case 'notStored':
    case 'exists':
    case 'notFound':
    case 'deleted':
    case 'touched':
    case 'ok':
    case 'reset':
      w.ascii(STATUS_LINES[response.type]);
      w.crlf();
      return;
    case 'number':
      w.bigint(response.value);
      w.crlf();
      return;
    case 'version':
      w.ascii('VERSION ');
      w.utf8(singleLine(response.version));
      w.crlf();
      return;
    case 'stats':
      for (const [name, value] of response.stats) {
        w.ascii('STAT ');
        w.utf8(singleLine(name));
        w.byte(0x20);
        w.utf8(singleLine(value));
        w.crlf();
      }
      w.ascii('END\r\n');
      return;
    case 'error':
      w.ascii(response.kind);
      // Plain `ERROR` carries no message in memcached's replies.
      if (response.kind !== 'ERROR') {
        w.byte(0x20);
        w.utf8(singleLine(response.message));
      }
      w.crlf();
      return;
    case 'metadump':
      for (const line of response.lines) {
        w.ascii(singleLine(line));
        w.byte(0x0a);
      }
      w.ascii('END\r\n');
      return;
    case 'none':
      return;
    default:
      assertNever(response);
  }
}

function estimateResponseBytes(response: CacheResponse): number {
  if (response.type === 'values') {
    let total = 5;
    for (const item of response.items) total += item.value.length + item.key.length * 3 + 64;
    return total;
  }
  if (response.type === 'stats') {
    let total = 5;
    for (const [name, value] of response.stats) total += (name.length + value.length) * 3 + 8;
    return total;
  }
  if (response.type === 'metadump') {
    let total = 5;
    for (const line of response.lines) total += line.length + 1;
    return total;
  }
  return 64;
}

/** Replaces CR and LF (which would end the reply line early) with spaces. */
function singleLine(text: string): string {
  return text.includes('\n') || text.includes('\r') ? text.replace(/[\r\n]/g, ' ') : text;
}

/**
 * The request bytes for `command`, as a client sends them to memcached: the command line, and
 * for storage commands the data block and its `\r\n`. Guarantees `CommandDecoder` decodes them
 * back to an equal command. Throws `InvalidKeyError` for a key that breaks the key rule and
 * `InvalidArgumentError` for a number out of its wire range, rather than emit a line that would
 * desynchronise the stream.
 */
export function encodeCommand(command: CacheCommand): Uint8Array;
export function encodeCommand(command: CacheCommand, out: ByteWriter): void;
export function encodeCommand(command: CacheCommand, out?: ByteWriter): Uint8Array | undefined {
  const writer = out ?? new ByteWriter(estimateCommandBytes(command));
  writeCommand(command, writer);
  return out === undefined ? writer.take() : undefined;
}

function estimateCommandBytes(command: CacheCommand): number {
  if ('value' in command) return command.value.length + command.key.length * 3 + 96;
  if ('keys' in command) {
    let total = 32;
    for (const key of command.keys) total += key.length * 3 + 1;
    return total;
  }
  return 128;
}

function writeCommand(command: CacheCommand, w: ByteWriter): void {
  switch (command.type) {
    case 'get':
    case 'gets':
    case 'gat':
    case 'gats':
      w.ascii(command.type);
      if (command.type === 'gat' || command.type === 'gats') {
        w.byte(0x20);
        w.decimal(checkInt32(command.exptime, 'exptime'));
      }
      for (const key of command.keys) {
        w.byte(0x20);
        w.utf8(checkKey(key));
      }
      w.crlf();
      return;
    case 'set':
    case 'add':
    case 'replace':
    case 'append':
    case 'prepend':
    case 'cas':
      w.ascii(command.type);
      w.byte(0x20);
      w.utf8(checkKey(command.key));
      w.byte(0x20);
      w.decimal(checkUint32(command.flags, 'flags'));
      w.byte(0x20);
      w.decimal(checkInt32(command.exptime, 'exptime'));
      w.byte(0x20);
      if (command.value.length > VALUE_LENGTH_MAX) throw new InvalidArgumentError('value too long');
      w.decimal(command.value.length);
      if (command.type === 'cas') {
        w.byte(0x20);
        w.bigint(checkUint64(command.cas, 'cas'));
      }
      writeNoreply(w, command.noreply);
      w.bytes(command.value);
      w.crlf();
      return;
    case 'delete':
      w.ascii('delete ');
      w.utf8(checkKey(command.key));
      writeNoreply(w, command.noreply);
      return;
    case 'incr':
    case 'decr':
      w.ascii(command.type);
      w.byte(0x20);
      w.utf8(checkKey(command.key));
      w.byte(0x20);
      w.bigint(checkUint64(command.delta, 'delta'));
      writeNoreply(w, command.noreply);
      return;
    case 'touch':
      w.ascii('touch ');
      w.utf8(checkKey(command.key));
      w.byte(0x20);
      w.decimal(checkInt32(command.exptime, 'exptime'));
      writeNoreply(w, command.noreply);
      return;
    case 'stats':
      w.ascii('stats');
      if (command.group !== undefined) {
        if (!/^[\x21-\x7e]+$/.test(command.group))
          throw new InvalidArgumentError('bad stats group');
        w.byte(0x20);
        w.ascii(command.group);
      }
      w.crlf();
      return;
    case 'flush_all':
      w.ascii('flush_all');
      // A delay <= 0 means "now", which is also what no delay means.
      if (checkInt32(command.delaySec, 'delaySec') > 0) {
        w.byte(0x20);
        w.decimal(command.delaySec);
      }
      writeNoreply(w, command.noreply);
      return;
    case 'version':
    case 'quit':
      w.ascii(command.type);
      w.crlf();
      return;
    case 'verbosity':
      w.ascii('verbosity ');
      w.decimal(checkUint32(command.level, 'level'));
      writeNoreply(w, command.noreply);
      return;
    case 'lru_crawler':
      for (const word of [command.subcommand, command.argument]) {
        if (word === undefined) continue;
        if (!/^[\x21-\x7e]+$/.test(word))
          throw new InvalidArgumentError('bad lru_crawler argument');
      }
      w.ascii(`lru_crawler ${command.subcommand}`);
      if (command.argument !== undefined) w.ascii(` ${command.argument}`);
      w.crlf();
      return;
    default:
      assertNever(command);
  }
}

/** ` noreply` when asked, then the line's `\r\n`. */
function writeNoreply(w: ByteWriter, noreply: boolean): void {
  if (noreply) w.ascii(' noreply');
  w.crlf();
}

function checkKey(key: string): string {
  if (!isValidKey(key)) throw new InvalidKeyError();
  return key;
}

function checkUint32(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
    throw new InvalidArgumentError(`${name} must be an unsigned 32-bit integer`);
  }
  return value;
}

function checkInt32(value: number, name: string): number {
  if (!Number.isInteger(value) || value < -0x8000_0000 || value > 0x7fff_ffff) {
    throw new InvalidArgumentError(`${name} must be a signed 32-bit integer`);
  }
  return value;
}

function checkUint64(value: bigint, name: string): bigint {
  if (value < 0n || value > 0xffff_ffff_ffff_ffffn) {
    throw new InvalidArgumentError(`${name} must be an unsigned 64-bit integer`);
  }
  return value;
}

/**
 * The reply memcached would send for `err` (STYLE.md §7 "Errors"). Branches on error classes,
 * never on messages: a `ParseError` gives its own `reply` (`Incomplete` gives `none`: wait for
 * bytes); key and argument errors give `CLIENT_ERROR bad command line format`; size, memory and
 * numeric errors give memcached's fixed lines; node, timeout and closed errors and anything
 * unexpected give `SERVER_ERROR <message>`.
 */
export function toReply(err: unknown): CacheResponse {
  if (err instanceof ParseError) {
    if (err.kind === 'Incomplete') return { type: 'none' };
    if (err.reply !== undefined) return errorLine(err.reply);
    return errorLine(err.kind === 'InvalidCommand' ? REPLY.ERROR : REPLY.BAD_FORMAT);
  }
  if (err instanceof CacheError) {
    switch (err.code) {
      case 'INVALID_KEY':
      case 'INVALID_ARGUMENT':
      case 'PARSE':
        return errorLine(REPLY.BAD_FORMAT);
      case 'TOO_LARGE':
        return errorLine(REPLY.TOO_LARGE);
      case 'OUT_OF_MEMORY':
        return errorLine(REPLY.OUT_OF_MEMORY);
      case 'NOT_NUMERIC':
        return errorLine(REPLY.NON_NUMERIC);
      case 'NODE_UNAVAILABLE':
      case 'TIMEOUT':
      case 'CLOSED':
        return serverError(err.message);
      default:
        return assertNever(err.code);
    }
  }
  return serverError(err instanceof Error ? err.message : String(err));
}

function serverError(message: string): CacheResponse {
  return { type: 'error', kind: 'SERVER_ERROR', message: singleLine(message) || 'error' };
}

/** Splits a reply line such as `CLIENT_ERROR bad data chunk` into an error response. */
function errorLine(line: string): CacheResponse {
  const space = line.indexOf(' ');
  const head = space < 0 ? line : line.slice(0, space);
  if (head === 'CLIENT_ERROR' || head === 'SERVER_ERROR') {
    return { type: 'error', kind: head satisfies ErrorKind, message: line.slice(space + 1) };
  }
  return { type: 'error', kind: 'ERROR', message: '' };
}
