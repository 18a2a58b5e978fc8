import { describe, expect, test } from 'vitest';
import type { CacheCommand } from '../../../src/protocol/commands.js';
import {
  CommandDecoder,
  type DecodeResult,
  type DecoderOptions,
} from '../../../src/protocol/decoder.js';
import {
  bytes,
  DECODER_CASES,
  get,
  LINE_TOO_LONG,
  store,
  TOO_LARGE_LINE,
  tooLarge,
} from '../../helpers/decoder-cases.js';

/** Pushes each chunk and drains the decoder after it, as a server does per socket read. */
function decodeChunks(chunks: Iterable<Uint8Array>, options?: DecoderOptions): DecodeResult[] {
  const decoder = new CommandDecoder(options);
  const results: DecodeResult[] = [];
  for (const chunk of chunks) {
    decoder.push(chunk);
    for (let r = decoder.next(); r !== undefined; r = decoder.next()) results.push(r);
  }
  return results;
}

function* byteByByte(input: Uint8Array): Generator<Uint8Array> {
  for (let i = 0; i < input.length; i++) yield input.subarray(i, i + 1);
}

// node-redis style: every case runs on the whole input at once and on one byte per push.
describe.each(DECODER_CASES)('$name', ({ input, expected, options }) => {
  const data = typeof input === 'string' ? bytes(input) : input;
  test('single chunk', () => {
    expect(decodeChunks([data], options)).toStrictEqual(expected);
  });
  test('byte by byte', () => {
    expect(decodeChunks(byteByByte(data), options)).toStrictEqual(expected);
  });
});

describe('CommandDecoder', () => {
  test('a value inside one chunk is a view of it; one spanning chunks is a copy', () => {
    const input = bytes('set k 0 0 5\r\nvalue\r\n');
    const [whole] = decodeChunks([input]) as [CacheCommand & { value: Uint8Array }];
    expect(whole.value.buffer).toBe(input.buffer);
    expect(whole.value.byteOffset).toBe(13);

    const [split] = decodeChunks([input.subarray(0, 15), input.subarray(15)]) as [
      CacheCommand & { value: Uint8Array },
    ];
    expect(split.value.buffer).not.toBe(input.buffer);
    expect(split.value).toStrictEqual(bytes('value'));
  });

  test('a data block split across three chunks, CR and LF in separate chunks', () => {
    const parts = ['set k 7 0 7\r\nab', 'c\r\n', '\0f\r', '\nget k\r\n'].map(bytes);
    expect(decodeChunks(parts)).toStrictEqual([
      store('set', 'k', 'abc\r\n\0f', { flags: 7 }),
      get('k'),
    ]);
  });

  test('several chunks pushed before next() is called', () => {
    const decoder = new CommandDecoder();
    for (const part of ['get a\r\nse', 't k 0 0 1\r\n', 'x\r\nget b\r\n'])
      decoder.push(bytes(part));
    const results: DecodeResult[] = [];
    for (let r = decoder.next(); r !== undefined; r = decoder.next()) results.push(r);
    expect(results).toStrictEqual([get('a'), store('set', 'k', 'x'), get('b')]);
    expect(decoder.bufferedBytes).toBe(0);
  });

  test('many pipelined commands in one chunk', () => {
    let input = '';
    const expected: CacheCommand[] = [];
    for (let i = 0; i < 500; i++) {
      input += `get key:${i}\r\nset key:${i} ${i} 0 3 noreply\r\nv${i % 10}\n\r\n`;
      expected.push(
        get(`key:${i}`),
        store('set', `key:${i}`, `v${i % 10}\n`, { flags: i, noreply: true }),
      );
    }
    expect(decodeChunks([bytes(input)])).toStrictEqual(expected);
  });

  test('an over-limit value at the default 1 MiB limit is swallowed, not buffered', () => {
    const length = 1024 * 1024 + 1;
    const block = new Uint8Array(length + 2).fill(0x61);
    block.set([0x0d, 0x0a], length);
    const decoder = new CommandDecoder();
    decoder.push(bytes(`set big 0 0 ${length}\r\n`));
    expect(decoder.next()).toStrictEqual(tooLarge('big'));
    for (let offset = 0; offset < block.length; offset += 16 * 1024) {
      decoder.push(block.subarray(offset, offset + 16 * 1024));
      expect(decoder.next()).toBeUndefined();
    }
    expect(decoder.bufferedBytes).toBe(0);
    decoder.push(bytes('get big\r\n'));
    expect(decoder.next()).toStrictEqual(get('big'));
    expect(TOO_LARGE_LINE).toBe('SERVER_ERROR object too large for cache');
  });

  test('a 1 MiB value split into 16 KiB chunks', () => {
    const length = 1024 * 1024;
    const value = new Uint8Array(length);
    for (let i = 0; i < length; i++) value[i] = (i * 31) & 0xff;
    const header = bytes(`set v 0 0 ${length}\r\n`);
    const input = new Uint8Array(header.length + length + 2);
    input.set(header);
    input.set(value, header.length);
    input.set([0x0d, 0x0a], header.length + length);
    const chunks: Uint8Array[] = [];
    for (let offset = 0; offset < input.length; offset += 16 * 1024) {
      chunks.push(input.subarray(offset, offset + 16 * 1024));
    }
    const results = decodeChunks(chunks);
    expect(results).toHaveLength(1);
    const { value: decoded, ...rest } = results[0] as CacheCommand & { value: Uint8Array };
    expect(rest).toStrictEqual({ type: 'set', key: 'v', flags: 0, exptime: 0, noreply: false });
    // Compared natively: a deep equality over a million elements is needlessly slow.
    expect(Buffer.compare(decoded, value)).toBe(0);
  });

  test('a pending line never grows past its limit', () => {
    const decoder = new CommandDecoder({ getLineMaxBytes: 4096 });
    decoder.push(bytes('get '));
    const junk = new Uint8Array(1024).fill(0x6b);
    let result: DecodeResult | undefined;
    for (let i = 0; i < 10 && result === undefined; i++) {
      decoder.push(junk);
      result = decoder.next();
      expect(decoder.bufferedBytes).toBeLessThanOrEqual(4096 + 2);
    }
    expect(result).toStrictEqual(LINE_TOO_LONG);
  });

  test('after closing it ignores input and yields nothing', () => {
    const decoder = new CommandDecoder();
    decoder.push(bytes('GET / HTTP/1.1\r\nget k\r\n'));
    expect(decoder.next()).toMatchObject({ type: 'invalid', close: true, reply: undefined });
    expect(decoder.isClosed).toBe(true);
    decoder.push(bytes('get k\r\n'));
    expect(decoder.next()).toBeUndefined();
    expect(decoder.bufferedBytes).toBe(0);
  });

  test('needs more bytes: a line without newline, a partial data block', () => {
    const decoder = new CommandDecoder();
    decoder.push(bytes('get k'));
    expect(decoder.next()).toBeUndefined();
    expect(decoder.bufferedBytes).toBe(5);
    decoder.push(bytes('\r\nset k 0 0 5\r\nab'));
    expect(decoder.next()).toStrictEqual(get('k'));
    expect(decoder.next()).toBeUndefined();
    expect(decoder.bufferedBytes).toBe(2);
    decoder.push(bytes('cde\r\n'));
    expect(decoder.next()).toStrictEqual(store('set', 'k', 'abcde'));
  });
});
