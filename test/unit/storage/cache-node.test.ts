import { describe, expect, it } from 'vitest';
import {
  type CacheError,
  InvalidArgumentError,
  InvalidKeyError,
  NotNumericError,
  OutOfMemoryError,
  TooLargeError,
} from '../../../src/errors.js';
import { CacheNode, DEFAULT_MAX_ITEM_BYTES } from '../../../src/storage/cache-node.js';
import { type CacheEntry, EVICTION_POLICIES, type EvictionPolicy } from '../../../src/types.js';
import { bytes, filled, nodeWithClock, storedKeys, text, thrown } from '../../helpers/storage.js';

const U64_MAX = 2n ** 64n - 1n;

function expectCode(fn: () => unknown, type: new (...args: never[]) => CacheError, code: string) {
  const err = thrown(fn);
  expect(err).toBeInstanceOf(type);
  expect((err as CacheError).code).toBe(code);
}

/** createdAtMs may be kept to a coarser resolution (whole seconds): never later, never a second off. */
function expectCreatedAt(entry: CacheEntry | undefined, atMs: number): void {
  expect(entry!.createdAtMs).toBeLessThanOrEqual(atMs);
  expect(entry!.createdAtMs).toBeGreaterThan(atMs - 1000);
}

function counters(node: CacheNode) {
  const { hits, misses, evictions, expired, bytesStored, entryCount } = node.stats();
  return { hits, misses, evictions, expired, bytesStored, entryCount };
}

/** A small deterministic generator (mulberry32), so that "random" tests replay exactly. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('constructor', () => {
  it('has the documented defaults', () => {
    const node = new CacheNode(1000);
    expect(node.maxMemory).toBe(1000);
    expect(node.policy).toBe('lru');
    expect(node.maxItemBytes).toBe(DEFAULT_MAX_ITEM_BYTES);
    expect(DEFAULT_MAX_ITEM_BYTES).toBe(1024 * 1024);
    expect(node.defaultTtlMs).toBe(0);
    expect(counters(node)).toEqual({
      hits: 0,
      misses: 0,
      evictions: 0,
      expired: 0,
      bytesStored: 0,
      entryCount: 0,
    });
  });

  it('accepts every policy', () => {
    for (const policy of EVICTION_POLICIES) expect(new CacheNode(100, policy).policy).toBe(policy);
  });

  it('rejects bad options with InvalidArgumentError', () => {
    for (const maxMemory of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      expectCode(() => new CacheNode(maxMemory), InvalidArgumentError, 'INVALID_ARGUMENT');
    }
    expectCode(
      () => new CacheNode(100, 'mru' as EvictionPolicy),
      InvalidArgumentError,
      'INVALID_ARGUMENT',
    );
    expectCode(
      () => new CacheNode(100, 'lru', { maxItemBytes: 0 }),
      InvalidArgumentError,
      'INVALID_ARGUMENT',
    );
    expectCode(
      () => new CacheNode(100, 'lru', { maxItemBytes: 2.5 }),
      InvalidArgumentError,
      'INVALID_ARGUMENT',
    );
    expectCode(
      () => new CacheNode(100, 'lru', { defaultTtlMs: -1 }),
      InvalidArgumentError,
      'INVALID_ARGUMENT',
    );
    expectCode(
      () => new CacheNode(100, 'lru', { defaultTtlMs: Number.NaN }),
      InvalidArgumentError,
      'INVALID_ARGUMENT',
    );
  });

  it('works on the real clock too (default and with clockResolutionMs 0)', () => {
    for (const node of [
      new CacheNode(1000),
      new CacheNode(1000, 'lru', { clockResolutionMs: 0 }),
    ]) {
      const before = Date.now();
      node.set('k', bytes('v'), 60_000);
      const entry = node.get('k');
      expect(text(entry)).toBe('v');
      expect(entry!.expiresAtMs).toBeGreaterThanOrEqual(before + 60_000);
      expect(node.touch('k', -1)).toBe(true);
      expect(node.get('k')).toBeUndefined();
    }
  });

  it('reads an injected clock at every check', () => {
    const { node, clock } = nodeWithClock(1000);
    node.set('k', bytes('v'), 1);
    expect(node.get('k')).toBeDefined();
    clock.advance(1);
    expect(node.get('k')).toBeUndefined();
  });
});

describe('keys', () => {
  it('accepts 1 to 250 bytes and rejects more, on every operation', () => {
    const { node } = nodeWithClock(100_000);
    const longest = 'k'.repeat(250);
    expect(node.set(longest, bytes('v'))).toBe(true);
    expect(text(node.get(longest))).toBe('v');
    const tooLong = 'k'.repeat(251);
    const v = bytes('1');
    for (const op of [
      () => node.get(tooLong),
      () => node.getValue(tooLong),
      () => node.set(tooLong, v),
      () => node.store('add', tooLong, v),
      () => node.delete(tooLong),
      () => node.incr(tooLong, 1),
      () => node.decr(tooLong, 1),
      () => node.touch(tooLong, 0),
    ]) {
      expectCode(op, InvalidKeyError, 'INVALID_KEY');
    }
  });

  it('rejects empty keys, spaces, control characters and DEL', () => {
    const node = new CacheNode(1000);
    for (const key of ['', 'a b', 'a\tb', 'a\r\nb', 'a\0', '\x1b', 'del\x7f']) {
      expectCode(() => node.set(key, bytes('v')), InvalidKeyError, 'INVALID_KEY');
      expectCode(() => node.get(key), InvalidKeyError, 'INVALID_KEY');
    }
    // a rejected key is not a lookup: no miss is counted
    expect(counters(node)).toMatchObject({ hits: 0, misses: 0, entryCount: 0 });
  });

  it('rejects keys that are not strings (JS callers) with InvalidKeyError, not a TypeError', () => {
    const node = new CacheNode(1000);
    for (const key of [undefined, null, 42, {}] as unknown as string[]) {
      expectCode(() => node.set(key, bytes('v')), InvalidKeyError, 'INVALID_KEY');
      expectCode(() => node.get(key), InvalidKeyError, 'INVALID_KEY');
      expectCode(() => node.delete(key), InvalidKeyError, 'INVALID_KEY');
    }
    expect(counters(node)).toMatchObject({ hits: 0, misses: 0, entryCount: 0 });
  });

  it('stores non-ASCII keys by their UTF-8 bytes', () => {
    const node = new CacheNode(10_000);
    node.set('clé', bytes('1'));
    node.set('cle', bytes('2'));
    node.set('🔑', bytes('3'));
    node.set('ключ', bytes('4'));
    expect([text(node.get('clé')), text(node.get('cle'))]).toEqual(['1', '2']);
    expect(text(node.get('🔑'))).toBe('3');
    expect(text(node.get('ключ'))).toBe('4');
    expect(storedKeys(node)).toEqual(['cle', 'clé', 'ключ', '🔑'].sort());
    // bytes stored count UTF-8 key bytes: 4 + 3 + 4 + 8, plus 1 value byte each
    expect(node.stats().bytesStored).toBe(4 + 3 + 4 + 8 + 4);
  });

  it('counts the 250-byte limit in UTF-8 bytes', () => {
    const node = new CacheNode(10_000);
    expect(node.set('é'.repeat(125), bytes('v'))).toBe(true);
    expectCode(() => node.set('é'.repeat(126), bytes('v')), InvalidKeyError, 'INVALID_KEY');
    expect(node.set(`${'🔑'.repeat(62)}ab`, bytes('v'))).toBe(true);
    expectCode(() => node.set('🔑'.repeat(63), bytes('v')), InvalidKeyError, 'INVALID_KEY');
    expect(node.stats().entryCount).toBe(2);
  });
});

describe('set and get', () => {
  it('round-trips binary values, the empty value and flags', () => {
    const node = new CacheNode(10_000);
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(node.set('bin', all, 0, 0xffffffff)).toBe(true);
    const entry = node.get('bin')!;
    expect([...entry.value]).toEqual([...all]);
    expect(entry.flags).toBe(0xffffffff);
    node.set('empty', new Uint8Array(0), 0, 7);
    expect(node.get('empty')!.value).toHaveLength(0);
    expect(node.get('empty')!.flags).toBe(7);
  });

  it('stores exactly the bytes of a view, not its whole buffer', () => {
    const node = new CacheNode(1000);
    const buffer = bytes('xxabcdyy');
    node.set('k', buffer.subarray(2, 6));
    expect(text(node.get('k'))).toBe('abcd');
    expect(node.stats().bytesStored).toBe(5);
  });

  it('fills every entry field', () => {
    const { node, clock } = nodeWithClock(1000);
    const storedAt = clock.now;
    node.set('k', bytes('value'), 5000, 42);
    clock.advance(30);
    const entry = node.get('k')!;
    expect(text(entry)).toBe('value');
    expect(entry.flags).toBe(42);
    expect(typeof entry.cas).toBe('bigint');
    expect(entry.cas > 0n).toBe(true);
    expectCreatedAt(entry, storedAt);
    expect(entry.expiresAtMs).toBe(storedAt + 5000);
    expect(entry.lastAccessedMs).toBe(storedAt + 30);
    expect(entry.accessCount).toBe(1);
    clock.advance(10);
    const again = node.get('k')!;
    expect(again.accessCount).toBe(2);
    expect(again.lastAccessedMs).toBe(storedAt + 40);
    expect(again.cas).toBe(entry.cas); // reads do not change the CAS
    node.set('forever', bytes('x'));
    expect(node.get('forever')!.expiresAtMs).toBeUndefined();
  });

  it('hands out a copy: mutating it does not touch the store', () => {
    const node = new CacheNode(1000);
    node.set('k', bytes('abc'));
    const entry = node.get('k')!;
    (entry.value as Uint8Array).fill(0x7a);
    expect(text(node.get('k'))).toBe('abc');
    // and the caller's buffer is copied on the way in too
    const mine = bytes('xyz');
    node.set('m', mine);
    mine.fill(0);
    expect(text(node.get('m'))).toBe('xyz');
  });

  it('an entry handed out stays unchanged whatever happens to the node after', () => {
    const { node, clock } = nodeWithClock(40);
    node.set('k', bytes('first'), 0, 1);
    const entry = node.get('k')!;
    const snapshot = { ...entry, value: text(entry) };
    node.set('k', bytes('other'), 0, 2); // same chunk: overwritten in place
    node.set('k', bytes('a much longer one'), 0, 3);
    node.delete('k');
    for (let i = 0; i < 10; i++) node.set(`f${i}`, bytes('filler-filler')); // reuse the chunks
    clock.advance(5000);
    expect({ ...entry, value: text(entry) }).toEqual(snapshot);
  });

  it('a set over an existing key replaces it as a new item', () => {
    const { node, clock } = nodeWithClock(1000);
    node.set('k', bytes('one'), 1000, 1);
    node.get('k');
    node.get('k');
    const before = node.get('k')!;
    clock.advance(2000);
    node.set('k', bytes('two'), 0, 2); // same size: the in-place path
    const after = node.get('k')!;
    expect(text(after)).toBe('two');
    expect(after.flags).toBe(2);
    expect(after.cas > before.cas).toBe(true);
    expectCreatedAt(after, clock.now);
    expect(after.expiresAtMs).toBeUndefined();
    expect(after.accessCount).toBe(1);
    node.set('k', bytes('three, longer'), 10, 3); // another chunk
    const third = node.get('k')!;
    expect([text(third), third.flags, third.accessCount]).toEqual(['three, longer', 3, 1]);
    expect(third.expiresAtMs).toBe(clock.now + 10);
    expect(counters(node)).toMatchObject({ entryCount: 1, bytesStored: 1 + 13, evictions: 0 });
  });

  it('getValue returns the value (a view) and counts like get', () => {
    const node = new CacheNode(1000);
    node.set('k', bytes('value'));
    const view = node.getValue('k');
    expect(Buffer.from(view!).toString()).toBe('value');
    expect(node.getValue('missing')).toBeUndefined();
    expect(counters(node)).toMatchObject({ hits: 1, misses: 1 });
    expect(node.get('k')!.accessCount).toBe(2);
  });

  it('rejects bad flags, values and TTLs without storing anything', () => {
    const node = new CacheNode(1000);
    node.set('k', bytes('old'));
    for (const flags of [-1, 1.5, 2 ** 32, Number.NaN, Number.POSITIVE_INFINITY]) {
      expectCode(
        () => node.set('k', bytes('new'), 0, flags),
        InvalidArgumentError,
        'INVALID_ARGUMENT',
      );
    }
    expectCode(
      () => node.set('k', 'new' as unknown as Uint8Array),
      InvalidArgumentError,
      'INVALID_ARGUMENT',
    );
    expectCode(
      () => node.set('k', [1, 2] as unknown as Uint8Array),
      InvalidArgumentError,
      'INVALID_ARGUMENT',
    );
    expectCode(
      () => node.set('k', bytes('new'), Number.NaN),
      InvalidArgumentError,
      'INVALID_ARGUMENT',
    );
    expectCode(
      () => node.set('k', bytes('new'), '5' as unknown as number),
      InvalidArgumentError,
      'INVALID_ARGUMENT',
    );
    expect(text(node.get('k'))).toBe('old');
    expect(counters(node)).toMatchObject({ entryCount: 1, bytesStored: 4 });
  });
});

describe('store modes', () => {
  it('add stores only a missing key', () => {
    const node = new CacheNode(1000);
    expect(node.store('add', 'k', bytes('one'))).toBe('stored');
    expect(node.store('add', 'k', bytes('two'))).toBe('notStored');
    expect(text(node.get('k'))).toBe('one');
  });

  it('replace stores only an existing key', () => {
    const node = new CacheNode(1000);
    expect(node.store('replace', 'k', bytes('one'))).toBe('notStored');
    expect(node.get('k')).toBeUndefined();
    node.set('k', bytes('one'));
    expect(node.store('replace', 'k', bytes('two'), 0, 9)).toBe('stored');
    expect(text(node.get('k'))).toBe('two');
    expect(node.get('k')!.flags).toBe(9);
  });

  it('append and prepend join bytes, keeping flags and expiry', () => {
    const { node, clock } = nodeWithClock(1000);
    expect(node.store('append', 'k', bytes('x'))).toBe('notStored');
    expect(node.store('prepend', 'k', bytes('x'))).toBe('notStored');
    node.set('k', bytes('mid'), 1000, 77);
    const expiresAtMs = clock.now + 1000;
    const cas0 = node.get('k')!.cas;
    clock.advance(100);
    expect(node.store('append', 'k', bytes('-end'), 5, 1)).toBe('stored');
    expect(node.store('prepend', 'k', bytes('start-'), 5, 2)).toBe('stored');
    const entry = node.get('k')!;
    expect(text(entry)).toBe('start-mid-end');
    expect(entry.flags).toBe(77);
    expect(entry.expiresAtMs).toBe(expiresAtMs);
    expect(entry.cas > cas0).toBe(true);
    expect(node.stats().bytesStored).toBe(1 + 13);
    clock.advance(900);
    expect(node.get('k')).toBeUndefined();
  });

  it('append of binary data and of nothing', () => {
    const node = new CacheNode(1000);
    node.set('k', Uint8Array.of(0, 1));
    node.store('append', 'k', Uint8Array.of(255, 0));
    node.store('prepend', 'k', new Uint8Array(0));
    expect([...node.get('k')!.value]).toEqual([0, 1, 255, 0]);
  });

  it('append past the item limit throws TooLargeError and keeps the old value', () => {
    const node = new CacheNode(1000, 'lru', { maxItemBytes: 10 });
    node.set('k', bytes('12345678'));
    expectCode(() => node.store('append', 'k', bytes('abc')), TooLargeError, 'TOO_LARGE');
    expect(text(node.get('k'))).toBe('12345678');
    const small = new CacheNode(12);
    small.set('k', bytes('12345678'));
    expectCode(() => small.store('prepend', 'k', bytes('abcd')), TooLargeError, 'TOO_LARGE');
    expect(text(small.get('k'))).toBe('12345678');
  });

  it('cas: missing → notFound, stale → exists, current → stored', () => {
    const node = new CacheNode(1000);
    expect(node.store('cas', 'k', bytes('v'), 0, 0, 1n)).toBe('notFound');
    node.set('k', bytes('one'));
    const cas1 = node.get('k')!.cas;
    expect(node.store('cas', 'k', bytes('two'), 0, 0, cas1 + 1000n)).toBe('exists');
    expect(text(node.get('k'))).toBe('one');
    expect(node.store('cas', 'k', bytes('two'), 0, 5, cas1)).toBe('stored');
    const entry = node.get('k')!;
    expect([text(entry), entry.flags]).toEqual(['two', 5]);
    expect(entry.cas).not.toBe(cas1);
    // the old unique is spent
    expect(node.store('cas', 'k', bytes('three'), 0, 0, cas1)).toBe('exists');
    expect(node.store('cas', 'k', bytes('three'), 0, 0, entry.cas)).toBe('stored');
  });

  it('each modification gets a new, larger CAS unique; reads and touch keep it', () => {
    const node = new CacheNode(1000);
    const seen: bigint[] = [];
    const casOf = (key: string) => node.get(key)!.cas;
    node.set('a', bytes('1'));
    seen.push(casOf('a'));
    node.set('b', bytes('1'));
    seen.push(casOf('b'));
    node.set('a', bytes('2'));
    seen.push(casOf('a'));
    node.store('append', 'a', bytes('0'));
    seen.push(casOf('a'));
    node.incr('a', 1); // 20 → 21: in place
    seen.push(casOf('a'));
    node.incr('a', 100); // 21 → 121: re-stored
    seen.push(casOf('a'));
    node.decr('a', 1);
    seen.push(casOf('a'));
    for (let i = 1; i < seen.length; i++) expect(seen[i]! > seen[i - 1]!).toBe(true);
    const last = casOf('a');
    node.touch('a', 5000);
    expect(casOf('a')).toBe(last);
  });
});

describe('TTL and expiry', () => {
  it('an entry lives until its expiry, exclusive', () => {
    const { node, clock } = nodeWithClock(1000);
    node.set('k', bytes('v'), 50);
    clock.advance(49);
    expect(text(node.get('k'))).toBe('v');
    clock.advance(1);
    expect(node.get('k')).toBeUndefined();
  });

  it('a get of an expired key is one miss and one expiry', () => {
    const { node, clock } = nodeWithClock(1000);
    node.set('k', bytes('value'), 10);
    clock.advance(10);
    expect(node.get('k')).toBeUndefined();
    expect(counters(node)).toEqual({
      hits: 0,
      misses: 1,
      evictions: 0,
      expired: 1,
      bytesStored: 0,
      entryCount: 0,
    });
    expect(node.get('k')).toBeUndefined();
    expect(counters(node)).toMatchObject({ misses: 2, expired: 1 });
  });

  it('no operation sees an expired entry, and each reclaims it once', () => {
    const ops: [string, (n: CacheNode) => unknown, unknown][] = [
      ['getValue', (n) => n.getValue('k'), undefined],
      ['delete', (n) => n.delete('k'), false],
      ['incr', (n) => n.incr('k', 1), undefined],
      ['decr', (n) => n.decr('k', 1), undefined],
      ['touch', (n) => n.touch('k', 1000), false],
      ['replace', (n) => n.store('replace', 'k', bytes('2')), 'notStored'],
      ['append', (n) => n.store('append', 'k', bytes('2')), 'notStored'],
      ['prepend', (n) => n.store('prepend', 'k', bytes('2')), 'notStored'],
      ['cas', (n) => n.store('cas', 'k', bytes('2'), 0, 0, 1n), 'notFound'],
      ['add', (n) => n.store('add', 'k', bytes('2')), 'stored'],
      [
        'lookup',
        (n) => {
          const k = Buffer.from('k');
          return n.lookup(k, 0, 1);
        },
        -1,
      ],
    ];
    for (const [name, op, expected] of ops) {
      const { node, clock } = nodeWithClock(1000);
      node.set('k', bytes('1'), 10);
      clock.advance(10);
      expect(op(node), name).toBe(expected);
      expect(node.stats().expired, name).toBe(1);
      expect(node.cleanExpired(), name).toBe(0);
      expect(node.stats().expired, name).toBe(1);
    }
  });

  it('a negative TTL removes the key (and the set still succeeds)', () => {
    const { node } = nodeWithClock(1000);
    node.set('k', bytes('old'));
    expect(node.set('k', bytes('new'), -1)).toBe(true);
    expect(node.get('k')).toBeUndefined();
    expect(node.set('fresh', bytes('new'), -1)).toBe(true);
    expect(node.get('fresh')).toBeUndefined();
    expect(counters(node)).toMatchObject({ entryCount: 0, bytesStored: 0, evictions: 0 });
  });

  it('defaultTtlMs applies when a store gives no TTL', () => {
    const { node, clock } = nodeWithClock(1000, 'lru', { defaultTtlMs: 100 });
    node.set('d', bytes('v'));
    node.set('own', bytes('v'), 500);
    node.set('gone', bytes('v'), -1);
    expect(node.get('d')!.expiresAtMs).toBe(clock.now + 100);
    expect(node.get('own')!.expiresAtMs).toBe(clock.now + 500);
    expect(node.get('gone')).toBeUndefined();
    clock.advance(100);
    expect(node.get('d')).toBeUndefined();
    expect(node.get('own')).toBeDefined();
    // touch with 0 also means the default TTL
    expect(node.touch('own', 0)).toBe(true);
    expect(node.get('own')!.expiresAtMs).toBe(clock.now + 100);
  });

  it('touch sets, extends, removes the expiry, or removes the key', () => {
    const { node, clock } = nodeWithClock(1000);
    expect(node.touch('missing', 100)).toBe(false);
    node.set('k', bytes('v'), 100, 3);
    const before = node.get('k')!;
    clock.advance(50);
    expect(node.touch('k', 100)).toBe(true);
    const touched = node.get('k')!;
    expect(touched.expiresAtMs).toBe(clock.now + 100);
    expect([text(touched), touched.flags, touched.cas]).toEqual(['v', 3, before.cas]);
    clock.advance(99);
    expect(node.get('k')).toBeDefined(); // past the first expiry
    expect(node.touch('k', 0)).toBe(true);
    expect(node.get('k')!.expiresAtMs).toBeUndefined();
    clock.advance(1_000_000);
    expect(node.get('k')).toBeDefined();
    expect(node.touch('k', -1)).toBe(true);
    expect(node.get('k')).toBeUndefined();
    expect(counters(node)).toMatchObject({ entryCount: 0, bytesStored: 0, expired: 0 });
  });

  it('touch is neither a hit nor a miss', () => {
    const { node } = nodeWithClock(1000);
    node.set('k', bytes('v'));
    node.touch('k', 100);
    node.touch('nope', 100);
    expect(counters(node)).toMatchObject({ hits: 0, misses: 0 });
  });

  it('sweepExpired reclaims at most max entries, soonest first', () => {
    const { node, clock } = nodeWithClock(1000);
    node.set('t40', bytes('v'), 40);
    node.set('t10', bytes('v'), 10);
    node.set('none', bytes('v'));
    node.set('t30', bytes('v'), 30);
    node.set('t20', bytes('v'), 20);
    node.set('t50', bytes('v'), 50);
    expect(node.sweepExpired(10)).toBe(0);
    clock.advance(35);
    expect(node.sweepExpired(2)).toBe(2);
    expect(storedKeys(node)).toEqual(['none', 't30', 't40', 't50']);
    expect(node.sweepExpired(2)).toBe(1);
    expect(node.sweepExpired(2)).toBe(0);
    expect(storedKeys(node)).toEqual(['none', 't40', 't50']);
    expect(counters(node)).toMatchObject({ expired: 3, entryCount: 3, bytesStored: 5 + 4 + 4 });
    clock.advance(100);
    expect(node.sweepExpired()).toBe(2);
    expect(storedKeys(node)).toEqual(['none']);
  });

  it('sweepExpired with the default bound reclaims 64 at a time', () => {
    const { node, clock } = nodeWithClock(100_000);
    for (let i = 0; i < 100; i++) node.set(`k${i}`, bytes('v'), 10 + i);
    clock.advance(1000);
    expect(node.sweepExpired()).toBe(64);
    expect(node.sweepExpired()).toBe(36);
    expect(node.stats().expired).toBe(100);
  });

  it('cleanExpired reclaims every expired entry and returns how many', () => {
    const { node, clock } = nodeWithClock(10_000);
    for (let i = 0; i < 10; i++) node.set(`k${i}`, bytes('v'), i < 7 ? 10 : 1000);
    node.set('forever', bytes('v'));
    expect(node.cleanExpired()).toBe(0);
    clock.advance(10);
    expect(node.cleanExpired()).toBe(7);
    expect(node.cleanExpired()).toBe(0);
    expect(counters(node)).toMatchObject({ expired: 7, entryCount: 4, misses: 0 });
    // a get after the sweep is a plain miss: the expiry is not counted again
    expect(node.get('k0')).toBeUndefined();
    expect(counters(node)).toMatchObject({ expired: 7, misses: 1 });
    // and a sweep after a get does not count it again either
    clock.advance(990);
    expect(node.get('k7')).toBeUndefined();
    expect(node.cleanExpired()).toBe(2);
    expect(counters(node)).toMatchObject({ expired: 10, misses: 2, entryCount: 1 });
  });

  it('a full node reclaims expired entries first, only as many as it needs, as expiries', () => {
    const { node, clock } = nodeWithClock(40, 'lru');
    node.set('a', filled(9), 10);
    node.set('b', filled(9), 20);
    node.set('c', filled(9));
    node.set('d', filled(9));
    node.get('a');
    node.get('b');
    clock.advance(20);
    node.set('e', filled(9)); // needs one item's room: a, the soonest, goes
    expect(storedKeys(node)).toEqual(['b', 'c', 'd', 'e']);
    expect(counters(node)).toMatchObject({ expired: 1, evictions: 0 });
    node.set('f', filled(19)); // needs two: b (expired), then c (LRU)
    expect(storedKeys(node)).toEqual(['d', 'e', 'f']);
    expect(counters(node)).toMatchObject({ expired: 2, evictions: 1, bytesStored: 40 });
  });
});

describe('incr and decr', () => {
  it('adds to an unsigned decimal and stores the result', () => {
    const node = new CacheNode(1000);
    node.set('n', bytes('10'));
    expect(node.incr('n', 5)).toBe(15n);
    expect(node.incr('n', 5n)).toBe(20n);
    expect(text(node.get('n'))).toBe('20');
    expect(node.incr('n', 0)).toBe(20n);
  });

  it('returns undefined for a missing key, counting no hit or miss', () => {
    const node = new CacheNode(1000);
    expect(node.incr('nope', 1)).toBeUndefined();
    expect(node.decr('nope', 1)).toBeUndefined();
    expect(counters(node)).toMatchObject({ hits: 0, misses: 0, entryCount: 0 });
  });

  it('wraps at 2^64', () => {
    const node = new CacheNode(1000);
    node.set('n', bytes('18446744073709551615'));
    expect(node.incr('n', 1)).toBe(0n);
    expect(text(node.get('n'))).toBe('0');
    node.set('n', bytes('18446744073709551615'));
    expect(node.incr('n', 2)).toBe(1n);
    node.set('n', bytes('5'));
    expect(node.incr('n', U64_MAX)).toBe(4n);
  });

  it('a negative delta decrements, stopping at 0', () => {
    const node = new CacheNode(1000);
    node.set('n', bytes('10'));
    expect(node.incr('n', -3)).toBe(7n);
    expect(node.incr('n', -10n)).toBe(0n);
    expect(text(node.get('n'))).toBe('0');
    node.set('n', bytes('5'));
    expect(node.incr('n', -(2n ** 64n - 1n))).toBe(0n);
  });

  it('decr subtracts, stopping at 0, and takes no negative delta', () => {
    const node = new CacheNode(1000);
    node.set('n', bytes('10'));
    expect(node.decr('n', 3)).toBe(7n);
    expect(node.decr('n', 100n)).toBe(0n);
    expect(node.decr('n', 1)).toBe(0n);
    expect(text(node.get('n'))).toBe('0');
    expectCode(() => node.decr('n', -1), InvalidArgumentError, 'INVALID_ARGUMENT');
    expect(text(node.get('n'))).toBe('0');
  });

  it('rejects a non-numeric value with NotNumericError, leaving it unchanged', () => {
    const node = new CacheNode(1000);
    for (const value of [
      'abc',
      '12abc',
      '',
      '-5',
      ' ',
      '1.5',
      '100000000000000000000', // 21 digits
      '18446744073709551616', // 2^64
    ]) {
      node.set('v', bytes(value), 0, 4);
      const before = node.get('v')!;
      expectCode(() => node.incr('v', 1), NotNumericError, 'NOT_NUMERIC');
      expectCode(() => node.decr('v', 1), NotNumericError, 'NOT_NUMERIC');
      const after = node.get('v')!;
      expect(text(after), value).toBe(value);
      expect([after.cas, after.flags]).toEqual([before.cas, 4]);
    }
  });

  it('rejects a bad delta with InvalidArgumentError, before looking at the key', () => {
    const node = new CacheNode(1000);
    node.set('n', bytes('1'));
    for (const delta of [1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, -(2 ** 53)]) {
      expectCode(() => node.incr('n', delta), InvalidArgumentError, 'INVALID_ARGUMENT');
      expectCode(() => node.incr('missing', delta), InvalidArgumentError, 'INVALID_ARGUMENT');
    }
    for (const delta of [2n ** 64n, -(2n ** 64n)]) {
      expectCode(() => node.incr('n', delta), InvalidArgumentError, 'INVALID_ARGUMENT');
    }
    expectCode(() => node.decr('n', 2n ** 64n), InvalidArgumentError, 'INVALID_ARGUMENT');
    expectCode(
      () => node.incr('n', '1' as unknown as number),
      InvalidArgumentError,
      'INVALID_ARGUMENT',
    );
    expect(node.incr('n', Number.MAX_SAFE_INTEGER)).toBe(2n ** 53n);
    expect(text(node.get('n'))).toBe('9007199254740992');
  });

  it('reads values with leading zeros and trailing spaces, CR or LF', () => {
    const node = new CacheNode(1000);
    const cases: [string, bigint][] = [
      ['12 ', 13n],
      ['12\r\n', 13n],
      ['7  \n', 8n],
      ['007', 8n],
      ['00000000000000000001', 2n],
    ];
    for (const [value, expected] of cases) {
      node.set('n', bytes(value));
      expect(node.incr('n', 1), JSON.stringify(value)).toBe(expected);
      expect(text(node.get('n'))).toBe(expected.toString());
    }
  });

  it('a result of another length keeps flags and expiry, and bytesStored follows', () => {
    const { node, clock } = nodeWithClock(1000);
    node.set('n', bytes('99'), 1000, 12);
    const expiresAtMs = clock.now + 1000;
    expect(node.incr('n', 1)).toBe(100n);
    let entry = node.get('n')!;
    expect([text(entry), entry.flags, entry.expiresAtMs]).toEqual(['100', 12, expiresAtMs]);
    expect(node.stats().bytesStored).toBe(4);
    expect(node.decr('n', 1)).toBe(99n);
    entry = node.get('n')!;
    expect([text(entry), entry.flags, entry.expiresAtMs]).toEqual(['99', 12, expiresAtMs]);
    expect(counters(node)).toMatchObject({ bytesStored: 3, entryCount: 1 });
    node.set('n', bytes('18446744073709551615'));
    expect(node.incr('n', 1)).toBe(0n);
    expect(node.stats().bytesStored).toBe(2);
    clock.advance(1000);
    expect(node.get('n')).toBeDefined(); // the set above had no TTL
  });

  it('a longer result evicts others if it must, never the item itself', () => {
    const node = new CacheNode(10, 'lru');
    node.set('a', bytes('99')); // 3 bytes
    node.set('b', bytes('12345')); // 6 bytes
    expect(node.incr('a', 1)).toBe(100n); // 4 + 6 = 10: fits
    expect(storedKeys(node)).toEqual(['a', 'b']);
    expect(node.incr('a', 900)).toBe(1000n); // 5 + 6 > 10: b goes
    expect(storedKeys(node)).toEqual(['a']);
    expect(counters(node)).toMatchObject({ evictions: 1, bytesStored: 5 });
  });

  it('a result that cannot fit in the node is refused; the value stays as it was', () => {
    const node = new CacheNode(8);
    node.set('k', bytes('9999999')); // 8 bytes: the whole node
    const before = node.get('k')!;
    expectCode(() => node.incr('k', 1), TooLargeError, 'TOO_LARGE');
    expect(node.stats().bytesStored).toBeLessThanOrEqual(8);
    const after = node.get('k')!;
    expect([text(after), after.cas]).toEqual(['9999999', before.cas]);
    const limited = new CacheNode(1000, 'lru', { maxItemBytes: 2 });
    limited.set('k', bytes('99'));
    expectCode(() => limited.incr('k', 1), TooLargeError, 'TOO_LARGE');
    expect(text(limited.get('k'))).toBe('99');
  });
});

describe('delete', () => {
  it('removes a key once', () => {
    const node = new CacheNode(1000);
    node.set('k', bytes('v'));
    expect(node.delete('k')).toBe(true);
    expect(node.delete('k')).toBe(false);
    expect(node.get('k')).toBeUndefined();
    expect(counters(node)).toMatchObject({ entryCount: 0, bytesStored: 0, evictions: 0 });
  });

  it('leaves other keys in the same hash chain findable', () => {
    const node = new CacheNode(1_000_000, 'lru', { initialCapacity: 16 });
    for (let i = 0; i < 3000; i++) node.set(`k${i}`, bytes(`${i}`));
    for (let i = 0; i < 3000; i += 3) expect(node.delete(`k${i}`)).toBe(true);
    for (let i = 0; i < 3000; i++) {
      expect(text(node.get(`k${i}`))).toBe(i % 3 === 0 ? undefined : `${i}`);
    }
  });
});

describe('memory', () => {
  it('bytesStored is the sum of key and value bytes, exactly', () => {
    const node = new CacheNode(10_000);
    node.set('a', filled(10));
    node.set('bb', filled(20));
    node.set('clé', filled(5));
    expect(node.stats().bytesStored).toBe(11 + 22 + 9);
    node.set('bb', filled(2));
    expect(node.stats().bytesStored).toBe(11 + 4 + 9);
    node.delete('a');
    expect(counters(node)).toMatchObject({ bytesStored: 4 + 9, entryCount: 2 });
  });

  it('an item of exactly maxMemory fits, evicting everything else', () => {
    const node = new CacheNode(50);
    node.set('a', filled(9));
    node.set('b', filled(9));
    node.set('big', filled(47));
    expect(storedKeys(node)).toEqual(['big']);
    expect(counters(node)).toMatchObject({ bytesStored: 50, evictions: 2, entryCount: 1 });
  });

  it('an item larger than the node is refused and empties nothing', () => {
    const node = new CacheNode(50);
    node.set('a', filled(9));
    node.set('b', filled(9));
    expectCode(() => node.set('big', filled(48)), TooLargeError, 'TOO_LARGE');
    expect(storedKeys(node)).toEqual(['a', 'b']);
    expect(counters(node)).toMatchObject({ bytesStored: 20, evictions: 0, entryCount: 2 });
    expectCode(() => node.store('add', 'big', filled(48)), TooLargeError, 'TOO_LARGE');
    expect(storedKeys(node)).toEqual(['a', 'b']);
  });

  it('a value over maxItemBytes is refused; the key loses its old value (memcached)', () => {
    const node = new CacheNode(10_000, 'lru', { maxItemBytes: 100 });
    expect(node.set('k', filled(100))).toBe(true);
    node.set('other', filled(10));
    expectCode(() => node.set('k', filled(101)), TooLargeError, 'TOO_LARGE');
    expect(node.get('k')).toBeUndefined();
    expect(text(node.get('other'))).toBe('a'.repeat(10));
    expect(counters(node)).toMatchObject({ entryCount: 1, bytesStored: 15, evictions: 0 });
  });

  it('a too-large replace or cas is refused and keeps the old value (only set drops it)', () => {
    const node = new CacheNode(10_000, 'lru', { maxItemBytes: 100 });
    node.set('k', filled(10));
    const cas = node.get('k')!.cas;
    expectCode(() => node.store('replace', 'k', filled(101)), TooLargeError, 'TOO_LARGE');
    expectCode(() => node.store('cas', 'k', filled(101), 0, 0, cas), TooLargeError, 'TOO_LARGE');
    expect(text(node.get('k'))).toBe('a'.repeat(10));
  });

  it('an item larger than the node drops the old value of its key too', () => {
    const node = new CacheNode(50);
    node.set('k', filled(9));
    node.set('other', filled(9));
    expectCode(() => node.set('k', filled(60)), TooLargeError, 'TOO_LARGE');
    expect(storedKeys(node)).toEqual(['other']);
    expect(counters(node)).toMatchObject({ bytesStored: 14, evictions: 0 });
  });

  it('reports physical bytes at least the bytes stored, growing with the data', () => {
    const node = new CacheNode(8 * 1024 * 1024);
    const empty = node.stats().physicalBytes;
    expect(empty).toBeGreaterThan(0);
    for (let i = 0; i < 1000; i++) node.set(`key:${i}`, filled(100));
    const full = node.stats();
    expect(full.physicalBytes).toBeGreaterThanOrEqual(full.bytesStored);
    expect(full.physicalBytes).toBeGreaterThan(empty);
    node.set('huge', filled(700 * 1024));
    const withHuge = node.stats();
    expect(withHuge.physicalBytes - full.physicalBytes).toBeGreaterThanOrEqual(700 * 1024);
    node.delete('huge'); // a huge item's page is released with it (give or take bookkeeping)
    expect(node.stats().physicalBytes).toBeLessThan(withHuge.physicalBytes - 690 * 1024);
  });

  it('a big value round-trips', () => {
    const node = new CacheNode(8 * 1024 * 1024);
    const value = Uint8Array.from({ length: DEFAULT_MAX_ITEM_BYTES }, (_, i) => (i * 31) & 0xff);
    node.set('big', value);
    expect(Buffer.from(node.get('big')!.value).equals(value)).toBe(true);
    expectCode(
      () => node.set('bigger', filled(DEFAULT_MAX_ITEM_BYTES + 1)),
      TooLargeError,
      'TOO_LARGE',
    );
  });
});

describe('stats', () => {
  it('counts exactly: a miss is never a hit', () => {
    const { node, clock } = nodeWithClock(30);
    node.set('a', filled(9));
    node.get('a');
    node.get('a');
    node.get('x');
    node.getValue('a');
    node.getValue('y');
    node.set('b', filled(9), 5);
    node.set('c', filled(9));
    node.set('d', filled(9)); // evicts a (LRU)
    clock.advance(5);
    node.get('b'); // expired: a miss and an expiry
    expect(counters(node)).toEqual({
      hits: 3,
      misses: 3,
      evictions: 1,
      expired: 1,
      bytesStored: 20,
      entryCount: 2,
    });
  });

  it('returns a fresh object each time', () => {
    const node = new CacheNode(100);
    const stats = node.stats();
    stats.hits = 99;
    expect(node.stats().hits).toBe(0);
  });
});

describe('flush', () => {
  it('empties the node, keeps the counters, and the node works after', () => {
    const { node, clock } = nodeWithClock(30, 'lfu');
    node.set('a', filled(9), 100);
    node.set('b', filled(9));
    node.get('a');
    node.get('zzz');
    const physical = node.stats().physicalBytes;
    node.flush();
    expect(counters(node)).toEqual({
      hits: 1,
      misses: 1,
      evictions: 0,
      expired: 0,
      bytesStored: 0,
      entryCount: 0,
    });
    expect(node.stats().physicalBytes).toBeLessThanOrEqual(physical);
    expect(node.get('a')).toBeUndefined();
    expect(node.cleanExpired()).toBe(0);
    expect(storedKeys(node)).toEqual([]);
    // all structures work again: store, TTL, eviction order
    node.set('c', filled(9), 10);
    node.set('d', filled(9));
    node.set('e', filled(9));
    node.get('c');
    node.get('d');
    node.set('f', filled(9)); // lfu: e has 0 hits
    expect(storedKeys(node)).toEqual(['c', 'd', 'f']);
    clock.advance(10);
    expect(node.cleanExpired()).toBe(1);
    expect(counters(node)).toMatchObject({ entryCount: 2, bytesStored: 20, evictions: 1 });
  });

  for (const policy of EVICTION_POLICIES) {
    it(`${policy}: evicts right after a flush`, () => {
      const node = new CacheNode(30, policy);
      for (const key of ['a', 'b', 'c', 'd']) node.set(key, filled(9));
      node.flush();
      for (const key of ['e', 'f', 'g', 'h']) node.set(key, filled(9));
      expect(storedKeys(node)).toEqual(['f', 'g', 'h']);
      expect(node.stats().bytesStored).toBe(30);
    });
  }
});

describe('byte API', () => {
  const wire = Buffer.from('get alpha\r\n');
  const KEY_AT = 4;
  const KEY_LEN = 5;

  it('finds a key given at an offset in a larger buffer', () => {
    const node = new CacheNode(1000);
    node.set('alpha', bytes('value'), 0, 0xabcdef);
    const slot = node.lookup(wire, KEY_AT, KEY_LEN);
    expect(slot).toBeGreaterThanOrEqual(0);
    expect(node.valueLength(slot)).toBe(5);
    expect(node.flagsOf(slot)).toBe(0xabcdef);
    expect(Buffer.from(node.valueView(slot)).toString()).toBe('value');
    const out = new Uint8Array(12).fill(0x2e);
    expect(node.copyValue(slot, out, 3)).toBe(5);
    expect(Buffer.from(out).toString()).toBe('...value....');
    expect(node.casOf(slot)).toBe(node.get('alpha')!.cas);
    expect(node.lookup(wire, 0, 3)).toBe(-1);
    expect(counters(node)).toMatchObject({ hits: 2, misses: 1 });
  });

  it('stores, increments, touches and deletes keys and values given as ranges', () => {
    const { node, clock } = nodeWithClock(1000);
    const value = bytes('xx41yy');
    expect(node.storeBytes('set', wire, KEY_AT, KEY_LEN, value, 2, 2, 0, 9)).toBe('stored');
    expect(node.storeBytes('add', wire, KEY_AT, KEY_LEN, value, 2, 2, 0, 9)).toBe('notStored');
    expect(text(node.get('alpha'))).toBe('41');
    expect(node.incrBytes(wire, KEY_AT, KEY_LEN, 1n, true)).toBe(42n);
    expect(node.incrBytes(wire, KEY_AT, KEY_LEN, 50n, false)).toBe(0n);
    expect(node.incrBytes(wire, 0, 3, 1n, true)).toBeUndefined();
    expectCode(
      () => node.incrBytes(wire, KEY_AT, KEY_LEN, -1n, true),
      InvalidArgumentError,
      'INVALID_ARGUMENT',
    );
    expect(node.touchBytes(wire, KEY_AT, KEY_LEN, 100)).toBe(true);
    expect(node.get('alpha')!.expiresAtMs).toBe(clock.now + 100);
    expect(node.touchBytes(wire, 0, 3, 100)).toBe(false);
    expect(node.deleteBytes(wire, 0, 3)).toBe(false);
    expect(node.deleteBytes(wire, KEY_AT, KEY_LEN)).toBe(true);
    expect(node.get('alpha')).toBeUndefined();
    expect(counters(node)).toMatchObject({ entryCount: 0, bytesStored: 0 });
  });

  it('peekBytes finds a key without counting or recording the access', () => {
    const { node, clock } = nodeWithClock(30, 'lru');
    node.set('a', filled(9), 0, 3);
    node.set('b', filled(9));
    node.set('c', filled(9));
    const a = Buffer.from('a');
    const slot = node.peekBytes(a, 0, 1);
    expect(slot).toBeGreaterThanOrEqual(0);
    expect(node.flagsOf(slot)).toBe(3);
    expect(node.peekBytes(Buffer.from('zz'), 0, 2)).toBe(-1);
    expect(counters(node)).toMatchObject({ hits: 0, misses: 0 });
    node.set('d', filled(9)); // a was only peeked: still the least recently used
    expect(storedKeys(node)).toEqual(['b', 'c', 'd']);
    node.set('t', filled(9), 10);
    clock.advance(10);
    expect(node.peekBytes(Buffer.from('t'), 0, 1)).toBe(-1); // expired: reclaimed, counted once
    expect(counters(node)).toMatchObject({ hits: 0, misses: 0, expired: 1 });
    expect(node.cleanExpired()).toBe(0);
  });

  it('remainingTtlMs and casNumberOf read a slot', () => {
    const { node, clock } = nodeWithClock(1000);
    node.set('t', bytes('v'), 100);
    node.set('n', bytes('v'));
    const t = Buffer.from('t');
    const n = Buffer.from('n');
    expect(node.remainingTtlMs(node.peekBytes(t, 0, 1))).toBe(100);
    clock.advance(99);
    expect(node.remainingTtlMs(node.peekBytes(t, 0, 1))).toBe(1);
    expect(node.remainingTtlMs(node.peekBytes(n, 0, 1))).toBe(0);
    const slot = node.peekBytes(n, 0, 1);
    expect(node.casNumberOf(slot)).toBe(Number(node.casOf(slot)));
    expect(BigInt(node.casNumberOf(slot))).toBe(node.get('n')!.cas);
  });

  it('keeps its own copy of key and value bytes', () => {
    const node = new CacheNode(1000);
    const key = Buffer.from('mutable');
    const value = bytes('value');
    node.storeBytes('set', key, 0, key.length, value, 0, value.length, 0, 0);
    key.fill(0x7a);
    value.fill(0x7a);
    expect(text(node.get('mutable'))).toBe('value');
  });
});

describe('large scale', () => {
  it('holds 200k entries past its initial capacity, then deletes half exactly', () => {
    const node = new CacheNode(64 * 1024 * 1024, 'lru', { initialCapacity: 16 });
    const N = 200_000;
    let expectedBytes = 0;
    for (let i = 0; i < N; i++) {
      const key = `key:${i}`;
      const value = bytes(`value-${i}`);
      node.set(key, value);
      expectedBytes += key.length + value.length;
    }
    expect(counters(node)).toMatchObject({
      entryCount: N,
      bytesStored: expectedBytes,
      evictions: 0,
    });
    for (let i = 0; i < N; i++) {
      const value = node.getValue(`key:${i}`);
      if (value === undefined || Buffer.from(value).toString() !== `value-${i}`) {
        expect.fail(`key:${i} lost or wrong after growth`);
      }
    }
    for (let i = 0; i < N; i += 2) {
      if (!node.delete(`key:${i}`)) expect.fail(`key:${i} not deleted`);
      expectedBytes -= `key:${i}`.length + `value-${i}`.length;
    }
    for (let i = 0; i < N; i++) {
      const value = node.getValue(`key:${i}`);
      const expected = i % 2 === 0 ? undefined : `value-${i}`;
      if ((value === undefined ? undefined : Buffer.from(value).toString()) !== expected) {
        expect.fail(`key:${i}: expected ${expected}`);
      }
    }
    expect(counters(node)).toEqual({
      hits: N + N / 2,
      misses: N / 2,
      evictions: 0,
      expired: 0,
      bytesStored: expectedBytes,
      entryCount: N / 2,
    });
  });
});

// ── the seed's failure scenarios (the ring's mutants C and D are tested in test/unit/ring) ──

describe('seed failure scenarios', () => {
  it('mutant A: TTL expired but still stored', () => {
    const { node, clock } = nodeWithClock(1000);
    node.set('temp', bytes('temporary'), 50);
    node.set('keep', bytes('kept'));
    clock.advance(50);
    // without any access, a sweep reclaims it: nothing of it stays stored
    expect(node.cleanExpired()).toBe(1);
    expect(storedKeys(node)).toEqual(['keep']);
    expect(counters(node)).toMatchObject({ entryCount: 1, bytesStored: 8, expired: 1 });
    expect(node.get('temp')).toBeUndefined();
    // and an expired entry is never served, even before any sweep
    node.set('temp2', bytes('temporary'), 50);
    clock.advance(50);
    expect(node.get('temp2')).toBeUndefined();
    expect(node.getValue('temp2')).toBeUndefined();
    expect(storedKeys(node)).toEqual(['keep']);
    expect(counters(node)).toMatchObject({ entryCount: 1, bytesStored: 8, expired: 2 });
  });

  it('mutant B: eviction race (sets and gets interleaved at the memory limit)', () => {
    for (const policy of EVICTION_POLICIES) {
      for (const seed of [1, 2, 3]) {
        const random = rng(seed * 7919 + policy.length);
        const { node, clock } = nodeWithClock(200, policy);
        const values = new Map<string, string>();
        for (let step = 0; step < 3000; step++) {
          const key = `k${Math.floor(random() * 24)}`;
          const roll = random();
          if (roll < 0.5) {
            const value = `${step}:`.padEnd(1 + Math.floor(random() * 60), '#');
            const ttl = random() < 0.3 ? 1 + Math.floor(random() * 50) : 0;
            node.set(key, bytes(value), ttl);
            // the item being stored is never the one evicted to make room for it
            expect(text(node.get(key))).toBe(value);
            values.set(key, value);
          } else if (roll < 0.9) {
            const got = text(node.get(key));
            // a hit is always the last value stored under that key
            if (got !== undefined) expect(got).toBe(values.get(key));
          } else if (roll < 0.95) {
            node.store('append', key, bytes('+'));
            const got = text(node.get(key));
            if (got !== undefined) values.set(key, got);
          } else {
            clock.advance(Math.floor(random() * 20));
          }
          const stats = node.stats();
          expect(stats.bytesStored).toBeLessThanOrEqual(200);
          const keys = storedKeys(node);
          expect(stats.entryCount).toBe(keys.length);
          // bytesStored is exactly the sum over what is really stored
          let sum = 0;
          for (const k of keys) sum += k.length + values.get(k)!.length;
          expect(stats.bytesStored).toBe(sum);
        }
      }
    }
  });

  it('mutant E: miss counted as hit', () => {
    const { node, clock } = nodeWithClock(1000);
    expect(node.get('nonexistent')).toBeUndefined();
    expect(counters(node)).toMatchObject({ hits: 0, misses: 1 });
    node.set('k', bytes('v'), 10);
    expect(node.get('k')).toBeDefined();
    expect(counters(node)).toMatchObject({ hits: 1, misses: 1 });
    node.delete('k');
    expect(node.get('k')).toBeUndefined();
    expect(counters(node)).toMatchObject({ hits: 1, misses: 2 });
    node.set('k', bytes('v'), 10);
    clock.advance(10);
    expect(node.get('k')).toBeUndefined(); // expired: a miss, not a hit
    expect(counters(node)).toMatchObject({ hits: 1, misses: 3, expired: 1 });
    expect(node.lookup(Buffer.from('k'), 0, 1)).toBe(-1);
    expect(counters(node)).toMatchObject({ hits: 1, misses: 4, expired: 1 });
  });
});

describe('byte API: bad input changes nothing', () => {
  const key = Buffer.from('ghost');

  it('refuses a NaN TTL on a store or a touch, keeping the item as it was', () => {
    const { node, clock } = nodeWithClock(10_000);
    node.set('ghost', bytes('old'), 1000);
    const v = bytes('new');
    for (const call of [
      () => node.storeBytes('set', key, 0, 5, v, 0, 3, Number.NaN, 0),
      () => node.storeBytes('add', Buffer.from('other'), 0, 5, v, 0, 3, Number.NaN, 0),
      () => node.touchBytes(key, 0, 5, Number.NaN),
    ]) {
      expectCode(call, InvalidArgumentError, 'INVALID_ARGUMENT');
    }
    expect(text(node.get('ghost'))).toBe('old');
    expect(node.get('other')).toBeUndefined();
    clock.advance(1000);
    expect(node.sweepExpired(64)).toBe(1); // the heap still works
    expect(node.stats().entryCount).toBe(0);
  });

  it('refuses ranges outside their arrays and keys of a bad length, before storing anything', () => {
    const node = new CacheNode(1 << 20);
    const value = new Uint8Array(200).fill(7);
    const before = counters(node);
    expectCode(
      () => node.storeBytes('set', key, 0, 5, value, 10, 200, 0, 0),
      InvalidArgumentError,
      'INVALID_ARGUMENT',
    );
    expectCode(
      () => node.storeBytes('set', key, 0, 5, value, -1, 10, 0, 0),
      InvalidArgumentError,
      'INVALID_ARGUMENT',
    );
    expectCode(
      () => node.storeBytes('set', key, 2, 5, value, 0, 10, 0, 0),
      InvalidKeyError,
      'INVALID_KEY',
    );
    expectCode(
      () => node.storeBytes('set', key, 0, 0, value, 0, 10, 0, 0),
      InvalidKeyError,
      'INVALID_KEY',
    );
    expectCode(
      () => node.storeBytes('set', key, 0, 5, value, 0, 2.5, 0, 0),
      InvalidArgumentError,
      'INVALID_ARGUMENT',
    );
    expectCode(
      () => node.storeBytes('set', key, 0.5, 4, value, 0, 2, 0, 0),
      InvalidKeyError,
      'INVALID_KEY',
    );
    const long = new Uint8Array(300).fill(0x61);
    expectCode(
      () => node.storeBytes('set', long, 0, 300, value, 0, 10, 0, 0),
      InvalidKeyError,
      'INVALID_KEY',
    );
    expect(counters(node)).toEqual(before);
    // nothing half stored surfaces later, when a rehash relinks every item
    for (let i = 0; i < 1100; i++) node.set(`k${i}`, bytes('v'));
    expect(node.peekBytes(key, 0, 5)).toBe(-1);
    expect(node.stats().entryCount).toBe(1100);
    expect(node.stats().bytesStored).toBe(storedBytes(1100));
  });

  it('copies from an array over a resizable ArrayBuffer after it grew', () => {
    const node = new CacheNode(1 << 20);
    // resizable ArrayBuffers (Node 20) are past the TypeScript lib this project targets
    const Resizable = ArrayBuffer as unknown as new (
      length: number,
      options: { maxByteLength: number },
    ) => ArrayBuffer & { resize(length: number): void };
    const buffer = new Resizable(64, { maxByteLength: 1024 });
    const value = new Uint8Array(buffer); // tracks the buffer's length
    value.fill(1);
    expect(node.set('a', value)).toBe(true);
    buffer.resize(200);
    value.fill(2);
    expect(node.set('b', value)).toBe(true);
    expect([...node.get('b')!.value]).toEqual(new Array(200).fill(2));
    expect(node.stats().bytesStored).toBe(1 + 64 + 1 + 200);
  });
});

/** key + value bytes of `n` items `k0`… with one-byte values. */
function storedBytes(n: number): number {
  let total = 0;
  for (let i = 0; i < n; i++) total += `k${i}`.length + 1;
  return total;
}

describe('a node out of slab pages', () => {
  const key = (i: number) => `k${String(i).padStart(5, '0')}`;

  it('evicts items of the size class it needs, as memcached does within a slab class', () => {
    // 6 + 100 bytes and a 48-byte header: 160-byte chunks; 2 pages (64 KiB, then 1 MiB) hold 6962
    const node = new CacheNode(64 << 20, 'lru', { maxSlabPages: 2 });
    const value = new Uint8Array(100).fill(1);
    for (let i = 0; i < 10_000; i++) expect(node.set(key(i), value)).toBe(true);
    const { entryCount, evictions, bytesStored } = node.stats();
    expect([entryCount, evictions, bytesStored]).toEqual([6962, 10_000 - 6962, 6962 * 106]);
    expect(node.get(key(9999))).toBeDefined();
    expect(node.get(key(10_000 - 6962))).toBeDefined(); // the oldest left
    expect(node.get(key(10_000 - 6963))).toBeUndefined();
  });

  it('fails at once, evicting nothing, for a size class with no page', () => {
    const node = new CacheNode(64 << 20, 'lru', { maxSlabPages: 2 });
    const value = new Uint8Array(100).fill(1);
    for (let i = 0; i < 7000; i++) node.set(key(i), value);
    const before = node.stats();
    // a 1,000-byte value needs another size class and no page is left for it; evicting items of
    // the full class would not help, so none goes (retrying cannot empty the node). Like
    // memcached, a failed set drops the key's old value rather than serve it stale.
    for (let attempt = 0; attempt < 3; attempt++) {
      expectCode(
        () => node.set(key(6999), new Uint8Array(1000)),
        OutOfMemoryError,
        'OUT_OF_MEMORY',
      );
    }
    expect(node.get(key(6999))).toBeUndefined();
    const after = node.stats();
    expect(after.evictions).toBe(before.evictions);
    expect(after.entryCount).toBe(before.entryCount - 1);
    expect(after.bytesStored).toBe(after.entryCount * 106);
  });

  it('keeps the old value when replace, cas, append, prepend or incr cannot get a chunk', () => {
    const node = new CacheNode(1 << 20, 'lru', { maxSlabPages: 1 }); // one page: one size class
    node.set('n', bytes('9999999'));
    const casUnique = node.get('n')!.cas;
    const calls: [string, () => unknown][] = [
      ['incr', () => node.incr('n', 1)], // 8 digits: another class
      ['append', () => node.store('append', 'n', new Uint8Array(100))],
      ['prepend', () => node.store('prepend', 'n', new Uint8Array(100))],
      ['replace', () => node.store('replace', 'n', new Uint8Array(100))],
      ['cas', () => node.store('cas', 'n', new Uint8Array(100), 0, 0, casUnique)],
    ];
    for (const [, call] of calls) expectCode(call, OutOfMemoryError, 'OUT_OF_MEMORY');
    expect(text(node.get('n'))).toBe('9999999');
    expect(node.stats()).toMatchObject({ entryCount: 1, bytesStored: 8, evictions: 0 });
    expect(node.incr('n', -9_999_990)).toBe(9n); // shorter: the same class, in place
  });

  it('refuses a page budget outside 1 to 16384', () => {
    for (const maxSlabPages of [0, -1, 1.5, 16_385, Number.NaN]) {
      expectCode(
        () => new CacheNode(1 << 20, 'lru', { maxSlabPages }),
        InvalidArgumentError,
        'INVALID_ARGUMENT',
      );
    }
  });
});
