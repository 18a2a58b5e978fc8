/**
 * The decoder's case table: request bytes and the exact results `CommandDecoder` must yield.
 * Every malformed case's expected reply and recovery was checked against stock memcached
 * 1.6.18 (Debian), except those marked `deviation`, where shardcache differs on purpose.
 */

import type { CacheCommand, StoreMode } from '../../src/protocol/commands.js';
import type { DecodeResult, DecoderOptions, InvalidInput } from '../../src/protocol/decoder.js';

export interface DecoderCase {
  readonly name: string;
  /** Request bytes; a string is taken as Latin-1 (one char per byte). */
  readonly input: string | Uint8Array;
  readonly expected: readonly DecodeResult[];
  readonly options?: DecoderOptions;
  /** Why shardcache answers differently from memcached 1.6.18 here. */
  readonly deviation?: string;
}

/** Latin-1 string to bytes. */
export function bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

// ---- expected results -------------------------------------------------------------------

export const get = (...keys: string[]): CacheCommand => ({ type: 'get', keys });
export const gets = (...keys: string[]): CacheCommand => ({ type: 'gets', keys });

interface StoreOptions {
  readonly flags?: number;
  readonly exptime?: number;
  readonly noreply?: boolean;
}

export function store(
  type: StoreMode,
  key: string,
  value: string | Uint8Array,
  { flags = 0, exptime = 0, noreply = false }: StoreOptions = {},
): CacheCommand {
  const data = typeof value === 'string' ? bytes(value) : value;
  return { type, key, flags, exptime, value: data, noreply };
}

export function cas(key: string, value: string, casUnique: bigint, noreply = false): CacheCommand {
  return { type: 'cas', key, flags: 0, exptime: 0, value: bytes(value), cas: casUnique, noreply };
}

function invalid(
  kind: InvalidInput['kind'],
  message: string,
  reply: string | undefined,
  close = false,
  unlinkKey?: string,
): InvalidInput {
  return { type: 'invalid', kind, message, reply, close, unlinkKey };
}

/** Unknown command name. */
export const UNKNOWN = invalid('InvalidCommand', 'ERROR', 'ERROR');
/** Known command, wrong token count. */
export const WRONG_COUNT = invalid('InvalidArguments', 'ERROR', 'ERROR');
export const BAD_FORMAT_LINE = 'CLIENT_ERROR bad command line format';
export const BAD_FORMAT = invalid('InvalidArguments', BAD_FORMAT_LINE, BAD_FORMAT_LINE);
export const BAD_CHUNK_LINE = 'CLIENT_ERROR bad data chunk';
export const BAD_CHUNK = invalid('InvalidArguments', BAD_CHUNK_LINE, BAD_CHUNK_LINE);
export const BAD_EXPTIME_LINE = 'CLIENT_ERROR invalid exptime argument';
export const BAD_EXPTIME = invalid('InvalidArguments', BAD_EXPTIME_LINE, BAD_EXPTIME_LINE);
export const BAD_DELTA_LINE = 'CLIENT_ERROR invalid numeric delta argument';
export const BAD_DELTA = invalid('InvalidArguments', BAD_DELTA_LINE, BAD_DELTA_LINE);
export const USAGE_LINE = 'CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]';
export const DELETE_USAGE = invalid('InvalidArguments', USAGE_LINE, USAGE_LINE);
export const TOO_LARGE_LINE = 'SERVER_ERROR object too large for cache';
export const tooLarge = (unlinkKey?: string, noreply = false): InvalidInput =>
  invalid(
    'InvalidArguments',
    TOO_LARGE_LINE,
    noreply ? undefined : TOO_LARGE_LINE,
    false,
    unlinkKey,
  );
/** The same error, silenced by `noreply`. */
export const silent = (line: string): InvalidInput => invalid('InvalidArguments', line, undefined);
export const HTTP_CLOSE = invalid(
  'InvalidCommand',
  'HTTP request on the memcached port',
  undefined,
  true,
);
export const LINE_TOO_LONG = invalid('InvalidCommand', 'command line too long', undefined, true);

const k250 = 'k'.repeat(250);
const k251 = 'k'.repeat(251);
const binary = '\r\n\0\x01\xff\r\nget x\r\n\0';
const manyKeys = Array.from({ length: 700 }, (_, i) => `key:${i}`);
const SMALL = { itemMaxBytes: 10 };

export const DECODER_CASES: readonly DecoderCase[] = [
  // ---- retrieval (protocol.txt "Retrieval command", "Get And Touch") ----
  { name: 'get one key', input: 'get mykey\r\n', expected: [get('mykey')] },
  { name: 'get many keys', input: 'get a bb ccc\r\n', expected: [get('a', 'bb', 'ccc')] },
  { name: 'gets', input: 'gets a b\r\n', expected: [gets('a', 'b')] },
  { name: 'extra spaces', input: '   get   a    b   \r\n', expected: [get('a', 'b')] },
  {
    name: 'bare LF ends a line',
    input: 'get a\nversion\n',
    expected: [get('a'), { type: 'version' }],
  },
  { name: 'noreply is a key for get', input: 'get k noreply\r\n', expected: [get('k', 'noreply')] },
  { name: 'key of 250 bytes', input: `get ${k250}\r\n`, expected: [get(k250)] },
  { name: 'UTF-8 key', input: 'get \xc3\xa9t\xc3\xa9\r\n', expected: [get('été')] },
  {
    name: 'gat and gats',
    input: 'gat 10 a b\r\ngats -1 c\r\n',
    expected: [
      { type: 'gat', exptime: 10, keys: ['a', 'b'] },
      { type: 'gats', exptime: -1, keys: ['c'] },
    ],
  },
  {
    name: 'gat without keys',
    input: 'gat 10\r\n',
    expected: [{ type: 'gat', exptime: 10, keys: [] }],
  },
  {
    name: 'get line past 2048 bytes',
    input: `get ${manyKeys.join(' ')}\r\n`,
    expected: [get(...manyKeys)],
  },
  {
    name: 'get line after 100 leading spaces',
    input: `${' '.repeat(100)}get ${manyKeys.join(' ')}\r\n`,
    expected: [get(...manyKeys)],
  },
  {
    name: 'gat line past 2048 bytes',
    input: `gat 0 ${manyKeys.join(' ')}\r\n`,
    expected: [{ type: 'gat', exptime: 0, keys: manyKeys }],
    deviation: 'memcached 1.6.18 closes when such a gat line arrives in more than one read',
  },
  {
    name: 'get / HTTP/1.1 is a get',
    input: 'get / HTTP/1.1\r\n',
    expected: [get('/', 'HTTP/1.1')],
  },
  // ---- storage (protocol.txt "Storage commands") ----
  {
    name: 'set with value',
    input: 'set mykey 0 0 5\r\nvalue\r\n',
    expected: [store('set', 'mykey', 'value')],
  },
  {
    name: 'every storage command, with and without noreply',
    input:
      'set a 1 2 1\r\nx\r\nadd b 3 4 1 noreply\r\ny\r\nreplace c 0 0 0\r\n\r\n' +
      'append d 0 0 2 noreply\r\nzz\r\nprepend e 0 0 1\r\nw\r\nset f 0 0 1 noreply\r\nv\r\n' +
      'add g 0 0 1\r\nu\r\nreplace h 0 0 1 noreply\r\nt\r\nappend i 0 0 1\r\ns\r\n' +
      'prepend j 0 0 1 noreply\r\nr\r\n',
    expected: [
      store('set', 'a', 'x', { flags: 1, exptime: 2 }),
      store('add', 'b', 'y', { flags: 3, exptime: 4, noreply: true }),
      store('replace', 'c', ''),
      store('append', 'd', 'zz', { noreply: true }),
      store('prepend', 'e', 'w'),
      store('set', 'f', 'v', { noreply: true }),
      store('add', 'g', 'u'),
      store('replace', 'h', 't', { noreply: true }),
      store('append', 'i', 's'),
      store('prepend', 'j', 'r', { noreply: true }),
    ],
  },
  {
    name: 'cas with and without noreply',
    input: 'cas k 0 0 1 42\r\nx\r\ncas k 0 0 1 18446744073709551615 noreply\r\ny\r\n',
    expected: [cas('k', 'x', 42n), cas('k', 'y', 18446744073709551615n, true)],
  },
  {
    name: 'binary value with CRLF and NUL inside',
    input: `set bin 0 0 ${binary.length}\r\n${binary}\r\nget bin\r\n`,
    expected: [store('set', 'bin', binary), get('bin')],
  },
  {
    name: 'numeric limits',
    input: 'set k 4294967295 -1 05\r\nvalue\r\nset k 0 2147483647 1\r\nx\r\n',
    expected: [
      store('set', 'k', 'value', { flags: 4294967295, exptime: -1 }),
      store('set', 'k', 'x', { exptime: 2147483647 }),
    ],
  },
  {
    name: 'a sixth token other than noreply is ignored',
    input: 'set k 0 0 5 foo\r\nvalue\r\n',
    expected: [store('set', 'k', 'value')],
  },
  // ---- delete, incr/decr, touch ----
  {
    name: 'delete forms',
    input: 'delete a\r\ndelete b noreply\r\ndelete c 0\r\ndelete d 0 noreply\r\ndelete noreply\r\n',
    expected: [
      { type: 'delete', key: 'a', noreply: false },
      { type: 'delete', key: 'b', noreply: true },
      { type: 'delete', key: 'c', noreply: false },
      { type: 'delete', key: 'd', noreply: true },
      { type: 'delete', key: 'noreply', noreply: false },
    ],
  },
  {
    name: 'incr and decr',
    input: 'incr n 1\r\ndecr n 18446744073709551615 noreply\r\nincr n 0005 foo\r\n',
    expected: [
      { type: 'incr', key: 'n', delta: 1n, noreply: false },
      { type: 'decr', key: 'n', delta: 18446744073709551615n, noreply: true },
      { type: 'incr', key: 'n', delta: 5n, noreply: false },
    ],
  },
  {
    name: 'touch',
    input: 'touch k 10\r\ntouch k -1 noreply\r\n',
    expected: [
      { type: 'touch', key: 'k', exptime: 10, noreply: false },
      { type: 'touch', key: 'k', exptime: -1, noreply: true },
    ],
  },
  // ---- other commands (protocol.txt "Other commands", "Statistics") ----
  {
    name: 'flush_all forms',
    input:
      'flush_all\r\nflush_all 10\r\nflush_all noreply\r\nflush_all 10 noreply\r\n' +
      'flush_all -5\r\nflush_all 0 junk\r\n',
    expected: [
      { type: 'flush_all', delaySec: 0, noreply: false },
      { type: 'flush_all', delaySec: 10, noreply: false },
      { type: 'flush_all', delaySec: 0, noreply: true },
      { type: 'flush_all', delaySec: 10, noreply: true },
      { type: 'flush_all', delaySec: 0, noreply: false },
      { type: 'flush_all', delaySec: 0, noreply: false },
    ],
  },
  {
    name: 'stats',
    input: 'stats\r\nstats settings\r\nstats reset\r\nstats items extra\r\n',
    expected: [
      { type: 'stats', group: undefined },
      { type: 'stats', group: 'settings' },
      { type: 'stats', group: 'reset' },
      { type: 'stats', group: 'items' },
    ],
  },
  {
    name: 'version and quit ignore arguments',
    input: 'version\r\nversion now\r\nquit now\r\n',
    expected: [{ type: 'version' }, { type: 'version' }, { type: 'quit' }],
  },
  {
    name: 'verbosity',
    input: 'verbosity 1\r\nverbosity 2 noreply\r\nverbosity 1 2\r\n',
    expected: [
      { type: 'verbosity', level: 1, noreply: false },
      { type: 'verbosity', level: 2, noreply: true },
      { type: 'verbosity', level: 1, noreply: false },
    ],
  },
  {
    name: 'the line ends at a NUL byte',
    input: 'get k\0zz\r\nversion\0junk\r\n',
    expected: [get('k'), { type: 'version' }],
  },
  // ---- unknown commands and token counts ----
  {
    name: 'unknown command, then recovery',
    input: 'foo bar\r\nversion\r\n',
    expected: [UNKNOWN, { type: 'version' }],
  },
  {
    name: 'commands are case-sensitive',
    input: 'GET k\r\nSet k 0 0 1\r\n',
    expected: [UNKNOWN, UNKNOWN],
  },
  {
    name: 'empty and blank lines',
    input: '\r\n\n   \r\ng\r\n',
    expected: [UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN],
  },
  { name: 'tab is not a separator', input: 'get\tk\r\n', expected: [UNKNOWN] },
  {
    name: 'get without key',
    input: 'get\r\nget \r\ngats\r\n',
    expected: [WRONG_COUNT, WRONG_COUNT, WRONG_COUNT],
  },
  {
    name: 'set with too few tokens: the data line is read as a command',
    input: 'set k 0 0\r\nvalue\r\n',
    expected: [WRONG_COUNT, UNKNOWN],
  },
  {
    name: 'set with too many tokens is not silenced by noreply',
    input: 'set k 0 0 5 noreply x\r\nvalue\r\n',
    expected: [WRONG_COUNT, UNKNOWN],
  },
  { name: 'cas without unique', input: 'cas k 0 0 1\r\nx\r\n', expected: [WRONG_COUNT, UNKNOWN] },
  {
    name: 'wrong counts for keyed commands',
    input:
      'incr k\r\ntouch k\r\ndelete\r\ndelete k a b c\r\nverbosity\r\nflush_all 0 noreply x\r\n',
    expected: [WRONG_COUNT, WRONG_COUNT, WRONG_COUNT, WRONG_COUNT, WRONG_COUNT, WRONG_COUNT],
  },
  // ---- bad storage lines: memcached 1.6.18 does not swallow the data block ----
  {
    name: 'bad numbers in a storage line',
    input:
      'set k x 0 5\r\nvalue\r\nset k -1 0 5\r\nvalue\r\nset k 0 x 5\r\nvalue\r\n' +
      'set k 0 0 -1\r\nvalue\r\nset k 0 0 0x5\r\nvalue\r\nset k 0 0 5x\r\nvalue\r\n',
    expected: [...[1, 2, 3, 4, 5, 6].flatMap(() => [BAD_FORMAT, UNKNOWN])],
  },
  {
    name: 'out-of-range numbers',
    input: 'set k 4294967296 0 1\r\nx\r\nset k 0 2147483648 1\r\nx\r\nset k 0 0 +1\r\nx\r\n',
    expected: [BAD_FORMAT, UNKNOWN, BAD_FORMAT, UNKNOWN, BAD_FORMAT, UNKNOWN],
    deviation:
      'memcached 1.6.18 truncates to 32 bits and takes "+": STORED; current memcached refuses',
  },
  {
    name: 'storage key of 251 bytes',
    input: `set ${k251} 0 0 1\r\nx\r\n`,
    expected: [BAD_FORMAT, UNKNOWN],
  },
  {
    name: 'noreply silences a bad storage line',
    input: `set k x 0 5 noreply\r\nvalue\r\nset ${k251} 0 0 1 noreply\r\nx\r\nset k 0 0 noreply\r\nvalue\r\n`,
    expected: [
      silent(BAD_FORMAT_LINE),
      UNKNOWN,
      silent(BAD_FORMAT_LINE),
      UNKNOWN,
      silent(BAD_FORMAT_LINE),
      UNKNOWN,
    ],
  },
  {
    name: 'cas with a bad unique',
    input: 'cas k 0 0 1 abc\r\nx\r\n',
    expected: [BAD_FORMAT, UNKNOWN],
  },
  { name: 'HTTP/ in a storage line', input: 'set k 0 0 HTTP/1.1\r\n', expected: [BAD_FORMAT] },
  // ---- bad data blocks: memcached reads exactly <bytes>+2, then resumes ----
  {
    name: 'data block too long',
    input: 'set k 0 0 5\r\nabcdefg\r\nget k\r\n',
    expected: [BAD_CHUNK, UNKNOWN, get('k')],
  },
  {
    name: 'data block too short',
    input: 'set k 0 0 5\r\nabc\r\nget k\r\n',
    expected: [BAD_CHUNK, UNKNOWN],
  },
  {
    name: 'data block ended by LF only',
    input: 'set k 0 0 5\r\nabcde\nget k\r\n',
    expected: [BAD_CHUNK, UNKNOWN],
  },
  {
    name: 'noreply silences bad data chunk',
    input: 'set k 0 0 5 noreply\r\nabcdefg\r\nget k\r\n',
    expected: [silent(BAD_CHUNK_LINE), UNKNOWN, get('k')],
  },
  {
    name: 'data block with CR LF split by a wrong byte',
    input: 'set s 0 0 10\r\nabcde\r\n\0fgh\r\nget s\r\n',
    expected: [BAD_CHUNK, UNKNOWN, get('s')],
  },
  // ---- too large: SERVER_ERROR, block swallowed; a refused set unlinks the key ----
  {
    name: 'value over the item limit',
    input:
      'set big 0 0 12\r\nget x\r\nget y\r\nversion\r\nadd big 0 0 11\r\n01234567890\r\nversion\r\n',
    options: SMALL,
    expected: [tooLarge('big'), { type: 'version' }, tooLarge(), { type: 'version' }],
  },
  {
    name: 'value over the item limit, noreply',
    input: 'set big 0 0 11 noreply\r\n01234567890\r\nversion\r\n',
    options: SMALL,
    expected: [tooLarge('big', true), { type: 'version' }],
  },
  {
    name: 'value at the item limit',
    input: 'set k 0 0 10\r\n0123456789\r\n',
    options: SMALL,
    expected: [store('set', 'k', '0123456789')],
    deviation:
      'memcached counts its item header and key against -I, so its limit is ~50 bytes lower',
  },
  // ---- other bad arguments ----
  {
    name: 'get with a key of 251 bytes fails the whole line',
    input: `get ok ${k251}\r\nversion\r\n`,
    expected: [BAD_FORMAT, { type: 'version' }],
  },
  {
    name: 'a long key in a get after other pipelined commands',
    input: `version\r\nget ${k251}\r\n`,
    expected: [{ type: 'version' }, BAD_FORMAT],
    deviation: 'memcached 1.6.18 also drops the replies still queued for earlier commands',
  },
  {
    name: 'bad incr deltas',
    input: `incr k abc\r\nincr k -1\r\ndecr k 18446744073709551616\r\nincr ${k251} x\r\nincr k abc noreply\r\n`,
    expected: [BAD_DELTA, BAD_DELTA, BAD_DELTA, BAD_FORMAT, silent(BAD_DELTA_LINE)],
  },
  {
    name: 'bad touch',
    input: `touch k abc\r\ntouch ${k251} 1\r\ntouch k abc noreply\r\n`,
    expected: [BAD_EXPTIME, BAD_FORMAT, silent(BAD_EXPTIME_LINE)],
  },
  {
    name: 'bad gat exptime is checked before the keys',
    input: `gat x k\r\ngat x ${k251}\r\n`,
    expected: [BAD_EXPTIME, BAD_EXPTIME],
  },
  {
    name: 'gat with a long key',
    input: `gat 1 ${k251}\r\nversion\r\n`,
    expected: [BAD_FORMAT, { type: 'version' }],
  },
  {
    name: 'bad delete',
    input: `delete k 1\r\ndelete k 1 noreply\r\ndelete ${k251}\r\n`,
    expected: [DELETE_USAGE, silent(USAGE_LINE), BAD_FORMAT],
  },
  {
    name: 'bad flush_all',
    input: 'flush_all x\r\nflush_all x noreply\r\n',
    expected: [BAD_EXPTIME, silent(BAD_EXPTIME_LINE)],
  },
  {
    name: 'bad verbosity',
    input: 'verbosity x\r\nverbosity noreply\r\n',
    expected: [BAD_FORMAT, silent(BAD_FORMAT_LINE)],
  },
  {
    name: 'key with a control character',
    input: 'get a\tb\r\nget k\r\r\nset a\x01b 0 0 1\r\nx\r\n',
    expected: [BAD_FORMAT, BAD_FORMAT, BAD_FORMAT, UNKNOWN],
    deviation:
      'memcached accepts any byte but space and NUL in a key; DESIGN forbids control chars',
  },
  {
    name: 'key that is not UTF-8',
    input: 'get \xff\r\n',
    expected: [BAD_FORMAT],
    deviation: 'memcached keys are bytes; ours are UTF-8 strings',
  },
  // ---- memcached hangs up ----
  {
    name: 'HTTP request',
    input: 'GET / HTTP/1.1\r\nversion\r\n',
    expected: [HTTP_CLOSE],
  },
  { name: 'HTTP/ as last token', input: 'foo HTTP/1.0\r\nversion\r\n', expected: [HTTP_CLOSE] },
  {
    name: 'HTTP after a pipelined command',
    input: 'version\r\nfoo HTTP/1.0\r\n',
    expected: [{ type: 'version' }, HTTP_CLOSE],
    deviation: 'memcached hangs up without writing replies still queued from the same read',
  },
  {
    name: 'line of 2048 bytes is still read',
    input: `${'x'.repeat(2048)}\r\nversion\r\n`,
    expected: [UNKNOWN, { type: 'version' }],
  },
  {
    name: 'line over 2048 bytes without newline',
    input: `set ${'x'.repeat(2046)}`,
    expected: [LINE_TOO_LONG],
  },
  {
    name: 'non-get line over 2048 bytes',
    input: `set k 0 0 1${' '.repeat(2040)}\r\nx\r\n`,
    expected: [LINE_TOO_LONG],
    deviation: 'memcached reads it if the whole line arrives in one read; we never do',
  },
  {
    name: 'long get line after 101 leading spaces',
    input: `${' '.repeat(101)}get ${manyKeys.join(' ')}\r\n`,
    expected: [LINE_TOO_LONG],
    deviation: 'memcached reads it if the whole line arrives in one read; we never do',
  },
  {
    name: 'get line over getLineMaxBytes',
    input: `get ${manyKeys.join(' ')}\r\n`,
    options: { getLineMaxBytes: 4096 },
    expected: [LINE_TOO_LONG],
  },
];
