import { describe, expect, test } from 'vitest';
import {
  ClosedError,
  InvalidArgumentError,
  InvalidKeyError,
  NodeUnavailableError,
  NotNumericError,
  OutOfMemoryError,
  ParseError,
  TimeoutError,
  TooLargeError,
} from '../../../src/errors.js';
import { ByteWriter } from '../../../src/protocol/byte-writer.js';
import type { CacheCommand, CacheResponse } from '../../../src/protocol/commands.js';
import { CommandDecoder } from '../../../src/protocol/decoder.js';
import { encodeCommand, encodeResponse, toReply } from '../../../src/protocol/encoder.js';
import { bytes } from '../../helpers/decoder-cases.js';

const latin1 = (data: Uint8Array): string => Buffer.from(data).toString('latin1');

// Reply bytes as memcached 1.6.18 writes them (checked against the real server).
const RESPONSES: readonly (readonly [string, CacheResponse, string])[] = [
  ['miss', { type: 'values', items: [] }, 'END\r\n'],
  [
    'hits with binary data',
    {
      type: 'values',
      items: [
        { key: 'a', flags: 0, value: bytes('x') },
        { key: 'b', flags: 4294967295, value: bytes('\r\n\0') },
      ],
    },
    'VALUE a 0 1\r\nx\r\nVALUE b 4294967295 3\r\n\r\n\0\r\nEND\r\n',
  ],
  [
    'gets hit with cas',
    {
      type: 'values',
      items: [{ key: 'k', flags: 3, value: bytes('value'), cas: 18446744073709551615n }],
    },
    'VALUE k 3 5 18446744073709551615\r\nvalue\r\nEND\r\n',
  ],
  [
    'empty value',
    { type: 'values', items: [{ key: 'k', flags: 0, value: bytes('') }] },
    'VALUE k 0 0\r\n\r\nEND\r\n',
  ],
  [
    'UTF-8 key',
    { type: 'values', items: [{ key: 'été', flags: 0, value: bytes('x') }] },
    'VALUE \xc3\xa9t\xc3\xa9 0 1\r\nx\r\nEND\r\n',
  ],
  ['stored', { type: 'stored' }, 'STORED\r\n'],
  ['notStored', { type: 'notStored' }, 'NOT_STORED\r\n'],
  ['exists', { type: 'exists' }, 'EXISTS\r\n'],
  ['notFound', { type: 'notFound' }, 'NOT_FOUND\r\n'],
  ['deleted', { type: 'deleted' }, 'DELETED\r\n'],
  ['touched', { type: 'touched' }, 'TOUCHED\r\n'],
  ['number', { type: 'number', value: 18446744073709551615n }, '18446744073709551615\r\n'],
  ['zero', { type: 'number', value: 0n }, '0\r\n'],
  ['ok', { type: 'ok' }, 'OK\r\n'],
  ['reset', { type: 'reset' }, 'RESET\r\n'],
  ['version', { type: 'version', version: '1.6.18' }, 'VERSION 1.6.18\r\n'],
  [
    'stats',
    {
      type: 'stats',
      stats: [
        ['pid', '42'],
        ['uptime', '7'],
      ],
    },
    'STAT pid 42\r\nSTAT uptime 7\r\nEND\r\n',
  ],
  ['ERROR', { type: 'error', kind: 'ERROR', message: 'ignored' }, 'ERROR\r\n'],
  [
    'CLIENT_ERROR',
    { type: 'error', kind: 'CLIENT_ERROR', message: 'bad data chunk' },
    'CLIENT_ERROR bad data chunk\r\n',
  ],
  [
    'SERVER_ERROR with a newline in its message',
    { type: 'error', kind: 'SERVER_ERROR', message: 'node down\r\nEND' },
    'SERVER_ERROR node down  END\r\n',
  ],
  ['none', { type: 'none' }, ''],
];

describe('encodeResponse', () => {
  test.each(RESPONSES)('%s', (_name, response, expected) => {
    expect(latin1(encodeResponse(response))).toBe(expected);
  });

  test('many replies into one writer, then one take()', () => {
    const writer = new ByteWriter(64);
    for (const [, response] of RESPONSES) encodeResponse(response, writer);
    expect(latin1(writer.take())).toBe(RESPONSES.map(([, , expected]) => expected).join(''));
    expect(writer.length).toBe(0);
  });

  test('a large value is copied whole', () => {
    const value = new Uint8Array(100_000).fill(0x7a);
    const out = encodeResponse({ type: 'values', items: [{ key: 'big', flags: 1, value }] });
    expect(latin1(out.subarray(0, 20))).toBe('VALUE big 1 100000\r\n');
    expect(Buffer.compare(out.subarray(20, 100_020), value)).toBe(0);
    expect(latin1(out.subarray(100_020))).toBe('\r\nEND\r\n');
  });
});

describe('ByteWriter', () => {
  test('a view handed out by take() is never written over', () => {
    const writer = new ByteWriter(64);
    writer.ascii('first');
    const first = writer.take();
    for (let i = 0; i < 100; i++) writer.ascii('0123456789');
    expect(latin1(first)).toBe('first');
    expect(writer.take()).toHaveLength(1000);
  });
});

// The request bytes a client sends; each also decodes back to the same command.
const COMMANDS: readonly (readonly [CacheCommand, string])[] = [
  [{ type: 'get', keys: ['a', 'b'] }, 'get a b\r\n'],
  [{ type: 'gets', keys: ['k'] }, 'gets k\r\n'],
  [{ type: 'gat', exptime: -1, keys: ['k'] }, 'gat -1 k\r\n'],
  [{ type: 'gats', exptime: 10, keys: ['k', 'l'] }, 'gats 10 k l\r\n'],
  [
    { type: 'set', key: 'k', flags: 1, exptime: 2, value: bytes('v\r\n'), noreply: false },
    'set k 1 2 3\r\nv\r\n\r\n',
  ],
  [
    { type: 'prepend', key: 'k', flags: 0, exptime: 0, value: bytes(''), noreply: true },
    'prepend k 0 0 0 noreply\r\n\r\n',
  ],
  [
    { type: 'cas', key: 'k', flags: 0, exptime: 0, value: bytes('x'), cas: 99n, noreply: true },
    'cas k 0 0 1 99 noreply\r\nx\r\n',
  ],
  [{ type: 'delete', key: 'k', noreply: false }, 'delete k\r\n'],
  [
    { type: 'incr', key: 'n', delta: 18446744073709551615n, noreply: true },
    'incr n 18446744073709551615 noreply\r\n',
  ],
  [{ type: 'decr', key: 'n', delta: 1n, noreply: false }, 'decr n 1\r\n'],
  [{ type: 'touch', key: 'k', exptime: 60, noreply: true }, 'touch k 60 noreply\r\n'],
  [{ type: 'stats', group: undefined }, 'stats\r\n'],
  [{ type: 'stats', group: 'items' }, 'stats items\r\n'],
  [{ type: 'flush_all', delaySec: 0, noreply: false }, 'flush_all\r\n'],
  [{ type: 'flush_all', delaySec: 30, noreply: true }, 'flush_all 30 noreply\r\n'],
  [{ type: 'version' }, 'version\r\n'],
  [{ type: 'verbosity', level: 1, noreply: true }, 'verbosity 1 noreply\r\n'],
  [{ type: 'quit' }, 'quit\r\n'],
];

describe('encodeCommand', () => {
  test.each(
    COMMANDS.map(([command, expected]) => [expected.split('\r')[0], command, expected] as const),
  )('%s', (_line, command, expected) => {
    const encoded = encodeCommand(command);
    expect(latin1(encoded)).toBe(expected);
    const decoder = new CommandDecoder();
    decoder.push(encoded);
    expect(decoder.next()).toStrictEqual(command);
    expect(decoder.next()).toBeUndefined();
  });

  test('refuses what would break the stream', () => {
    const set = { type: 'set', flags: 0, exptime: 0, value: bytes('x'), noreply: false } as const;
    expect(() => encodeCommand({ ...set, key: 'a b' })).toThrow(InvalidKeyError);
    expect(() => encodeCommand({ ...set, key: 'k'.repeat(251) })).toThrow(InvalidKeyError);
    expect(() => encodeCommand({ type: 'get', keys: ['ok', 'bad\n'] })).toThrow(InvalidKeyError);
    expect(() => encodeCommand({ ...set, key: 'k', flags: -1 })).toThrow(InvalidArgumentError);
    expect(() => encodeCommand({ ...set, key: 'k', exptime: 2 ** 31 })).toThrow(
      InvalidArgumentError,
    );
    expect(() => encodeCommand({ type: 'incr', key: 'k', delta: -1n, noreply: false })).toThrow(
      InvalidArgumentError,
    );
    expect(() => encodeCommand({ type: 'stats', group: 'a b' })).toThrow(InvalidArgumentError);
  });
});

describe('toReply', () => {
  const line = (response: CacheResponse): string => latin1(encodeResponse(response));

  test.each([
    ['unknown command', new ParseError('InvalidCommand', 'ERROR'), 'ERROR\r\n'],
    ['unknown command, no reply', new ParseError('InvalidCommand'), 'ERROR\r\n'],
    [
      'bad data chunk',
      new ParseError('InvalidArguments', 'CLIENT_ERROR bad data chunk'),
      'CLIENT_ERROR bad data chunk\r\n',
    ],
    [
      'bad arguments, no reply',
      new ParseError('InvalidArguments'),
      'CLIENT_ERROR bad command line format\r\n',
    ],
    ['incomplete', new ParseError('Incomplete'), ''],
    ['invalid key', new InvalidKeyError(), 'CLIENT_ERROR bad command line format\r\n'],
    [
      'invalid argument',
      new InvalidArgumentError('ttl'),
      'CLIENT_ERROR bad command line format\r\n',
    ],
    ['too large', new TooLargeError('custom text'), 'SERVER_ERROR object too large for cache\r\n'],
    ['out of memory', new OutOfMemoryError(), 'SERVER_ERROR out of memory storing object\r\n'],
    [
      'not numeric',
      new NotNumericError(),
      'CLIENT_ERROR cannot increment or decrement non-numeric value\r\n',
    ],
    [
      'node down',
      new NodeUnavailableError('no replica for key'),
      'SERVER_ERROR no replica for key\r\n',
    ],
    ['timeout', new TimeoutError('replica timed out'), 'SERVER_ERROR replica timed out\r\n'],
    ['closed', new ClosedError(), 'SERVER_ERROR cache is closed\r\n'],
    ['plain error', new Error('boom\nagain'), 'SERVER_ERROR boom again\r\n'],
    ['not an error', 'text', 'SERVER_ERROR text\r\n'],
  ] as const)('%s', (_name, err, expected) => {
    expect(line(toReply(err))).toBe(expected);
  });
});
