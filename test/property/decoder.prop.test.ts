import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { CacheCommand } from '../../src/protocol/commands.js';
import { CommandDecoder, type DecodeResult } from '../../src/protocol/decoder.js';
import { encodeCommand } from '../../src/protocol/encoder.js';
import { isValidKey } from '../../src/protocol/limits.js';
import { concat, split } from '../helpers/chunks.js';

// Fixed run counts and a time budget; on failure fast-check prints the seed and path to replay
// (`fc.assert(..., { seed, path })`).
const RUNS = { numRuns: 200, interruptAfterTimeLimit: 30_000 } as const;

function decode(chunks: readonly Uint8Array[]): DecodeResult[] {
  const decoder = new CommandDecoder({ itemMaxBytes: 1000, getLineMaxBytes: 64 * 1024 });
  const results: DecodeResult[] = [];
  for (const chunk of chunks) {
    decoder.push(chunk);
    for (let r = decoder.next(); r !== undefined; r = decoder.next()) results.push(r);
  }
  return results;
}

// ---- arbitraries -------------------------------------------------------------------------

const keyChar = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)) },
  { weight: 1, arbitrary: fc.constantFrom('é', 'ß', '日', '😀') },
);
const key = fc.oneof(
  {
    weight: 20,
    arbitrary: fc.array(keyChar, { minLength: 1, maxLength: 24 }).map((cs) => cs.join('')),
  },
  { weight: 1, arbitrary: fc.constant('k'.repeat(250)) },
);
// Values lean on the bytes that matter to framing: CR, LF, NUL, space.
const valueByte = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(0x0d, 0x0a, 0x00, 0x20) },
  { weight: 5, arbitrary: fc.integer({ min: 0, max: 255 }) },
);
const value = fc.array(valueByte, { maxLength: 200 }).map((bs) => Uint8Array.from(bs));
const flags = fc.integer({ min: 0, max: 0xffff_ffff });
const exptime = fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff });
const u64 = fc.bigInt({ min: 0n, max: 0xffff_ffff_ffff_ffffn });
const noreply = fc.boolean();

const command: fc.Arbitrary<CacheCommand> = fc
  .oneof(
    fc.record({
      type: fc.constantFrom('get', 'gets'),
      keys: fc.array(key, { minLength: 1, maxLength: 8 }),
    }),
    fc.record({
      type: fc.constantFrom('gat', 'gats'),
      exptime,
      keys: fc.array(key, { maxLength: 8 }),
    }),
    fc.record({
      type: fc.constantFrom('set', 'add', 'replace', 'append', 'prepend'),
      key,
      flags,
      exptime,
      value,
      noreply,
    }),
    fc.record({ type: fc.constant('cas'), key, flags, exptime, value, cas: u64, noreply }),
    fc.record({ type: fc.constant('delete'), key, noreply }),
    fc.record({ type: fc.constantFrom('incr', 'decr'), key, delta: u64, noreply }),
    fc.record({ type: fc.constant('touch'), key, exptime, noreply }),
    fc.record({
      type: fc.constant('stats'),
      group: fc.constantFrom(undefined, 'items', 'slabs', 'settings', 'reset'),
    }),
    fc.record({
      type: fc.constant('flush_all'),
      delaySec: fc.integer({ min: 0, max: 0x7fff_ffff }),
      noreply,
    }),
    fc.record({ type: fc.constant('version') }),
    fc.record({ type: fc.constant('verbosity'), level: flags, noreply }),
    fc.record({ type: fc.constant('quit') }),
    // fast-check may build records without a prototype; the decoder's are plain objects.
  )
  .map((c) => ({ ...c })) as fc.Arbitrary<CacheCommand>;

const cuts = fc.array(fc.nat(), { maxLength: 40 });

// Near-protocol junk: lines of command words, numbers and stray bytes, with data blocks of
// right and wrong lengths, so that every path (bad numbers, bad data chunks, wrong counts,
// swallowed blocks, long lines, hang-ups) is exercised.
const junkToken = fc.oneof(
  {
    weight: 30,
    arbitrary: fc.constantFrom(
      'get',
      'gets',
      'gat',
      'set',
      'add',
      'cas',
      'incr',
      'delete',
      'touch',
      'flush_all',
      'verbosity',
      'stats',
      'version',
      'noreply',
      'HTTP/1.1',
      '0',
      '1',
      '5',
      '-1',
      '12',
      '4000',
      '99999999999',
      'k',
      'key:1',
      'abcde',
      '\xc3\xa9',
      '',
    ),
  },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 255 }).map((b) => String.fromCharCode(b)) },
  { weight: 1, arbitrary: fc.constant('x'.repeat(2050)) },
);
const junkLine = fc
  .tuple(
    fc.array(junkToken, { minLength: 1, maxLength: 8 }),
    fc.constantFrom(' ', '  '),
    fc.constantFrom('\r\n', '\r\n', '\r\n', '\n', '', '\r'),
  )
  .map(([tokens, separator, end]) => tokens.join(separator) + end);
// A storage line whose data block is sometimes the declared length, sometimes not, sometimes
// over the item limit (1000 in these runs), sometimes without its CRLF.
const junkStorage = fc
  .tuple(
    fc.constantFrom('set', 'add', 'cas', 'append'),
    fc.constantFrom('k', 'key:1', 'k', 'key:1', 'k'.repeat(251)),
    fc.constantFrom('0', '7', '0', '7', 'x', '-1'),
    fc.constantFrom('0', '-1', '100'),
    fc.integer({ min: 0, max: 1100 }),
    fc.constantFrom('', ' 42', ' noreply', ' 42 noreply'),
    fc.constantFrom(0, 0, 0, 0, -2, -1, 1, 2),
    fc.constantFrom('\r\n', '\r\n', '\r\n', '\n', 'ab', ''),
  )
  .map(([name, key, flagsToken, exptimeToken, length, tail, skew, end]) => {
    const block = 'v\r\n\0'.repeat(300).slice(0, Math.max(0, length + skew));
    return `${name} ${key} ${flagsToken} ${exptimeToken} ${length}${tail}\r\n${block}${end}`;
  });
const junk = fc
  .array(fc.oneof({ weight: 3, arbitrary: junkLine }, { weight: 1, arbitrary: junkStorage }), {
    maxLength: 30,
  })
  .map((lines) => Uint8Array.from(lines.join(''), (c) => c.charCodeAt(0) & 0xff));

describe('CommandDecoder chunking invariance', () => {
  test('encoded commands decode back, however the stream is split', () => {
    fc.assert(
      fc.property(
        fc.array(command, { minLength: 1, maxLength: 20 }),
        cuts,
        (commands, cutPoints) => {
          for (const c of commands) {
            if ('key' in c) fc.pre(isValidKey(c.key));
            if ('keys' in c) fc.pre(c.keys.every(isValidKey));
          }
          const stream = concat(commands.map((c) => encodeCommand(c)));
          expect(decode([stream])).toStrictEqual(commands);
          expect(decode(split(stream, cutPoints))).toStrictEqual(commands);
        },
      ),
      RUNS,
    );
  });

  test('any bytes: never throws, same results whole, split or byte by byte', () => {
    fc.assert(
      fc.property(junk, cuts, (stream, cutPoints) => {
        const whole = decode([stream]);
        expect(decode(split(stream, cutPoints))).toStrictEqual(whole);
        const bytes = Array.from({ length: stream.length }, (_, i) => stream.subarray(i, i + 1));
        expect(decode(bytes)).toStrictEqual(whole);
      }),
      RUNS,
    );
  });
});
