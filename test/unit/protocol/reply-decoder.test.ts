import { describe, expect, test } from 'vitest';
import {
  decodeUriBytes,
  isReplyPart,
  ReplyDecoder,
  type ReplyDecoderOptions,
  type ReplyItem,
} from '../../../src/protocol/reply-decoder.js';

const bytes = (text: string): Uint8Array => Buffer.from(text, 'latin1');
const u8 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'latin1'));

function decodeChunks(chunks: Iterable<Uint8Array>, options?: ReplyDecoderOptions): ReplyItem[] {
  const decoder = new ReplyDecoder(options);
  const items: ReplyItem[] = [];
  for (const chunk of chunks) {
    decoder.push(chunk);
    for (let item = decoder.next(); item !== undefined; item = decoder.next()) items.push(item);
  }
  return items;
}

function* byteByByte(input: Uint8Array): Generator<Uint8Array> {
  for (let i = 0; i < input.length; i++) yield input.subarray(i, i + 1);
}

/** Values compare as plain byte arrays whether they are views or copies. */
function normalise(items: ReplyItem[]): unknown[] {
  return items.map((item) => {
    if (item.type === 'value') return { ...item, value: [...item.value] };
    if (item.type === 'meta') return { ...item, value: item.value && [...item.value] };
    if (item.type === 'metadump') return { ...item, key: [...item.key] };
    return item;
  });
}

interface Case {
  readonly name: string;
  readonly input: string;
  readonly expected: ReplyItem[];
  readonly options?: ReplyDecoderOptions;
}

const CASES: Case[] = [
  {
    name: 'get hit and miss',
    input: 'VALUE k 5 3\r\nabc\r\nEND\r\nEND\r\n',
    expected: [
      { type: 'value', key: 'k', flags: 5, cas: undefined, value: u8('abc') },
      { type: 'end' },
      { type: 'end' },
    ],
  },
  {
    name: 'gets with CAS, binary value holding CRLF and END',
    input: 'VALUE key 4294967295 8 18446744073709551615\r\n\r\nEND\r\n\0\r\nEND\r\n',
    expected: [
      {
        type: 'value',
        key: 'key',
        flags: 4294967295,
        cas: 18446744073709551615n,
        value: u8('\r\nEND\r\n\0'),
      },
      { type: 'end' },
    ],
  },
  {
    name: 'multi-get, empty value',
    input: 'VALUE a 0 0\r\n\r\nVALUE b 1 1\r\nx\r\nEND\r\n',
    expected: [
      { type: 'value', key: 'a', flags: 0, cas: undefined, value: u8('') },
      { type: 'value', key: 'b', flags: 1, cas: undefined, value: u8('x') },
      { type: 'end' },
    ],
  },
  {
    name: 'status words',
    input: 'STORED\r\nNOT_STORED\r\nEXISTS\r\nNOT_FOUND\r\nDELETED\r\nTOUCHED\r\nOK\r\nRESET\r\n',
    expected: (
      ['STORED', 'NOT_STORED', 'EXISTS', 'NOT_FOUND', 'DELETED', 'TOUCHED', 'OK', 'RESET'] as const
    ).map((status) => ({ type: 'status', status })),
  },
  {
    name: 'incr results, one space-padded, the largest u64',
    input: '0\r\n42  \r\n18446744073709551615\r\n',
    expected: [
      { type: 'number', value: 0n },
      { type: 'number', value: 42n },
      { type: 'number', value: 18446744073709551615n },
    ],
  },
  {
    name: 'errors, with and without messages',
    input:
      'ERROR\r\nERROR cannot pipeline other commands before metadump\r\n' +
      'CLIENT_ERROR cannot increment or decrement non-numeric value\r\n' +
      'SERVER_ERROR object too large for cache\r\n',
    expected: [
      { type: 'error', kind: 'ERROR', message: '' },
      { type: 'error', kind: 'ERROR', message: 'cannot pipeline other commands before metadump' },
      {
        type: 'error',
        kind: 'CLIENT_ERROR',
        message: 'cannot increment or decrement non-numeric value',
      },
      { type: 'error', kind: 'SERVER_ERROR', message: 'object too large for cache' },
    ],
  },
  {
    name: 'version and stats',
    input: 'VERSION 1.6.18\r\nSTAT pid 42\r\nSTAT libevent 2.1.12-stable\r\nSTAT x a b\r\nEND\r\n',
    expected: [
      { type: 'version', version: '1.6.18' },
      { type: 'stat', name: 'pid', value: '42' },
      { type: 'stat', name: 'libevent', value: '2.1.12-stable' },
      { type: 'stat', name: 'x', value: 'a b' },
      { type: 'end' },
    ],
  },
  {
    name: 'metadump lines end with a bare LF, keys are URI-encoded',
    input:
      'key=a exp=-1 la=1795703360 cas=1 fetch=yes cls=1 size=65\n' +
      'key=b%25c%20%C3%A9 exp=1795703460 la=1795703361 cas=2 fetch=no cls=3 size=64 new=1\n' +
      'END\r\n',
    expected: [
      {
        type: 'metadump',
        key: u8('a'),
        exptimeSec: -1,
        lastAccessSec: 1795703360,
        cas: 1n,
        isFetched: true,
        slabClass: 1,
        sizeBytes: 65,
      },
      {
        type: 'metadump',
        key: u8('b%c \xc3\xa9'),
        exptimeSec: 1795703460,
        lastAccessSec: 1795703361,
        cas: 2n,
        isFetched: false,
        slabClass: 3,
        sizeBytes: 64,
      },
      { type: 'end' },
    ],
  },
  {
    name: 'meta replies: VA with a value, HD with flags, EN, MN',
    input: 'VA 2 f5 t-1 c1\r\nhi\r\nHD t100\r\nEN\r\nMN\r\nNS\r\n',
    expected: [
      { type: 'meta', code: 'VA', flags: ['f5', 't-1', 'c1'], value: u8('hi') },
      { type: 'meta', code: 'HD', flags: ['t100'], value: undefined },
      { type: 'meta', code: 'EN', flags: [], value: undefined },
      { type: 'meta', code: 'MN', flags: [], value: undefined },
      { type: 'meta', code: 'NS', flags: [], value: undefined },
    ],
  },
  {
    name: 'other lines pass through verbatim',
    input: 'BUSY currently processing crawler request\r\nBADCLASS invalid class id\r\n',
    expected: [
      { type: 'line', line: 'BUSY currently processing crawler request' },
      { type: 'line', line: 'BADCLASS invalid class id' },
    ],
  },
  {
    name: 'a data block not ended by CRLF closes the stream',
    input: 'VALUE k 0 2\r\nabcSTORED\r\n',
    expected: [{ type: 'invalid', message: 'data block not ended by \\r\\n' }],
  },
  {
    name: 'a malformed VALUE line closes the stream',
    input: 'VALUE k x 2\r\nab\r\nEND\r\n',
    expected: [{ type: 'invalid', message: 'bad VALUE line' }],
  },
  {
    name: 'a value over the limit closes the stream before buffering it',
    input: 'STORED\r\nVALUE k 0 11\r\n',
    options: { valueMaxBytes: 10 },
    expected: [
      { type: 'status', status: 'STORED' },
      { type: 'invalid', message: 'data block of 11 bytes' },
    ],
  },
  {
    name: 'a line over the limit closes the stream',
    input: `OK\r\nSTAT ${'x'.repeat(40)}\r\nEND\r\n`,
    options: { lineMaxBytes: 32 },
    expected: [
      { type: 'status', status: 'OK' },
      { type: 'invalid', message: 'reply line too long' },
    ],
  },
];

describe.each(CASES)('$name', ({ input, expected, options }) => {
  const data = bytes(input);
  test('single chunk', () => {
    expect(normalise(decodeChunks([data], options))).toStrictEqual(normalise(expected));
  });
  test('byte by byte', () => {
    expect(normalise(decodeChunks(byteByByte(data), options))).toStrictEqual(normalise(expected));
  });
});

describe('ReplyDecoder', () => {
  test('a value inside one chunk is a view of it; one spanning chunks is a copy', () => {
    const input = bytes('VALUE k 0 5\r\nvalue\r\nEND\r\n');
    const [whole] = decodeChunks([input]);
    expect(whole?.type === 'value' && whole.value.buffer).toBe(input.buffer);
    const [split] = decodeChunks([input.subarray(0, 15), input.subarray(15)]);
    expect(split?.type === 'value' && split.value.buffer).not.toBe(input.buffer);
    expect(split?.type === 'value' && Buffer.from(split.value).toString()).toBe('value');
  });

  test('yields nothing after closing, and holds no bytes', () => {
    const decoder = new ReplyDecoder();
    decoder.push(bytes('VALUE k 0 1\r\nxyz'));
    expect(decoder.next()?.type).toBe('invalid');
    decoder.push(bytes('STORED\r\n'));
    expect(decoder.next()).toBeUndefined();
    expect(decoder.isClosed).toBe(true);
    expect(decoder.bufferedBytes).toBe(0);
  });

  test('a partial line is held within its bound and counted', () => {
    const decoder = new ReplyDecoder({ lineMaxBytes: 64 });
    decoder.push(bytes('STAT uptime 1'));
    expect(decoder.next()).toBeUndefined();
    expect(decoder.bufferedBytes).toBe(13);
    decoder.push(bytes('2\r\n'));
    expect(decoder.next()).toStrictEqual({ type: 'stat', name: 'uptime', value: '12' });
    expect(decoder.bufferedBytes).toBe(0);
  });

  test('isReplyPart tells parts from finals', () => {
    const items = decodeChunks([bytes('VALUE k 0 1\r\nx\r\nSTAT a b\r\nEND\r\nOK\r\n')]);
    expect(items.map(isReplyPart)).toEqual([true, true, false, false]);
  });

  test('decodeUriBytes: escapes to bytes, a stray % stands for itself', () => {
    expect([...decodeUriBytes('a%20b%zz%4')]).toEqual([...Buffer.from('a b%zz%4')]);
    expect([...decodeUriBytes('%E6%97%A5')]).toEqual([...Buffer.from('日')]);
    expect([...decodeUriBytes('plain')]).toEqual([...Buffer.from('plain')]);
  });
});
