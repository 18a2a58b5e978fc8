import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { CacheResponse } from '../../src/protocol/commands.js';
import { encodeResponse } from '../../src/protocol/encoder.js';
import { ReplyDecoder, type ReplyItem } from '../../src/protocol/reply-decoder.js';
import { concat, split } from '../helpers/chunks.js';

// Fixed run counts and a time budget; on failure fast-check prints the seed and path to replay.
const RUNS = { numRuns: 300, interruptAfterTimeLimit: 30_000 } as const;

function decode(chunks: readonly Uint8Array[]): ReplyItem[] {
  const decoder = new ReplyDecoder({ valueMaxBytes: 4096 });
  const items: ReplyItem[] = [];
  for (const chunk of chunks) {
    decoder.push(chunk);
    for (let item = decoder.next(); item !== undefined; item = decoder.next()) items.push(item);
  }
  return items;
}

/** Views and copies compare alike. */
function plain(items: ReplyItem[]): unknown[] {
  return items.map((item) => {
    if (item.type === 'value') return { ...item, value: [...item.value] };
    if (item.type === 'meta') return { ...item, value: item.value && [...item.value] };
    if (item.type === 'metadump') return { ...item, key: [...item.key] };
    return item;
  });
}

// ---- arbitraries: what a memcached-protocol server sends -----------------------------------

const key = fc
  .array(fc.integer({ min: 0x21, max: 0x7e }), { minLength: 1, maxLength: 20 })
  .map((cs) => String.fromCharCode(...cs));
// values lean on the bytes that matter to framing
const value = fc
  .array(
    fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(0x0d, 0x0a, 0x00, 0x20) },
      { weight: 5, arbitrary: fc.integer({ min: 0, max: 255 }) },
    ),
    { maxLength: 120 },
  )
  .map((bs) => Uint8Array.from(bs));
const u64 = fc.bigInt({ min: 0n, max: 0xffff_ffff_ffff_ffffn });

const response: fc.Arbitrary<CacheResponse> = fc.oneof(
  fc.record({
    type: fc.constant('values' as const),
    items: fc.array(
      fc.record({
        key,
        flags: fc.integer({ min: 0, max: 0xffff_ffff }),
        value,
        cas: fc.option(u64, { nil: undefined }),
      }),
      { maxLength: 4 },
    ),
  }),
  fc.constantFrom<CacheResponse>(
    { type: 'stored' },
    { type: 'notStored' },
    { type: 'exists' },
    { type: 'notFound' },
    { type: 'deleted' },
    { type: 'touched' },
    { type: 'ok' },
  ),
  fc.record({ type: fc.constant('number' as const), value: u64 }),
  fc.record({
    type: fc.constant('stats' as const),
    stats: fc.array(fc.tuple(key, key), { maxLength: 5 }),
  }),
  fc.record({
    type: fc.constant('error' as const),
    kind: fc.constantFrom('CLIENT_ERROR' as const, 'SERVER_ERROR' as const),
    message: key,
  }),
);

/** Stream pieces: replies the encoder writes, plus metadump and meta replies written here. */
const piece: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 6, arbitrary: response.map((r) => encodeResponse(r)) },
  {
    weight: 1,
    arbitrary: fc
      .array(fc.tuple(key, fc.integer({ min: -1, max: 2_000_000_000 })), { maxLength: 4 })
      .map((lines) =>
        Buffer.from(
          `${lines.map(([k, exp]) => `key=${encodeURIComponent(k)} exp=${exp} la=1 cas=2 fetch=no cls=1 size=70\n`).join('')}END\r\n`,
        ),
      ),
  },
  {
    weight: 1,
    arbitrary: value.map((v) =>
      Buffer.concat([Buffer.from(`VA ${v.length} f1 t-1\r\n`), v, Buffer.from('\r\n')]),
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom('HD t5\r\n', 'EN\r\n', 'MN\r\n').map(Buffer.from) },
);

describe('ReplyDecoder chunking invariance', () => {
  test('any split of a reply stream decodes to the items of the whole stream', () => {
    fc.assert(
      fc.property(
        fc.array(piece, { minLength: 1, maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (pieces, cuts) => {
          const data = concat(pieces);
          const whole = decode([data]);
          expect(whole.some((item) => item.type === 'invalid')).toBe(false);
          expect(plain(decode(split(data, cuts)))).toStrictEqual(plain(whole));
        },
      ),
      RUNS,
    );
  });

  test('every encoded value comes back byte for byte', () => {
    fc.assert(
      fc.property(key, value, u64, (k, v, cas) => {
        const data = encodeResponse({
          type: 'values',
          items: [{ key: k, flags: 7, value: v, cas }],
        });
        const items = decode(split(data, [3, 17, 29]));
        expect(plain(items)).toStrictEqual(
          plain([{ type: 'value', key: k, flags: 7, cas, value: v }, { type: 'end' }]),
        );
      }),
      RUNS,
    );
  });
});
