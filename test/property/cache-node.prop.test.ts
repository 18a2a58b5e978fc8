/**
 * CacheNode against a deliberately naive model, for each eviction policy: a list of items, oldest
 * first, scanned in O(n) for every lookup and every victim. The model shares only the spec with
 * the node (DESIGN.md's Semantics), none of its tables, heaps or slabs.
 *
 * Each command advances the clock by 1 ms, TTLs and clock jumps are whole seconds, and each
 * command sets at most one expiry: so no two live items ever expire at the same instant, and the
 * `ttl` policy and the expiry sweep have exactly one right answer.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CacheError } from '../../src/errors.js';
import { CacheNode, type StoreMode, type StoreResult } from '../../src/storage/cache-node.js';
import { type CacheEntry, EVICTION_POLICIES, type EvictionPolicy } from '../../src/types.js';
import { FakeClock, storedKeys } from '../helpers/storage.js';

// fast-check prints the seed and path of a failing run; FC_SEED=<seed> replays it.
const RUNS = {
  numRuns: 300,
  interruptAfterTimeLimit: 60_000,
  markInterruptAsFailure: false,
  ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED) } : {}),
};

const KEYS = ['a', 'bb', 'k3', 'key4', 'clé', 'k-6', 'x', '🔑'] as const;
const U64_MAX = 2n ** 64n - 1n;

// ── commands ─────────────────────────────────────────────────────────────────────────────────

type Op =
  | {
      readonly type: 'store';
      readonly mode: StoreMode;
      readonly key: number;
      readonly value: Uint8Array;
      readonly ttlMs: number;
      readonly flags: number;
      readonly isCasCurrent: boolean;
    }
  | { readonly type: 'get' | 'delete'; readonly key: number }
  | { readonly type: 'incr' | 'decr'; readonly key: number; readonly delta: bigint | number }
  | { readonly type: 'touch'; readonly key: number; readonly ttlMs: number }
  | { readonly type: 'advance'; readonly ms: number }
  | { readonly type: 'clean' }
  | { readonly type: 'sweep'; readonly max: number };

const key = fc.integer({ min: 0, max: KEYS.length - 1 });
const ttlMs = fc.constantFrom(0, 0, 0, -1, 1000, 2000, 3000);
const value = fc.oneof(
  fc.uint8Array({ maxLength: 40, size: 'max' }),
  fc
    .constantFrom('0', '7', '9', '99', '100', '42 ', '1\r\n', '18446744073709551615', 'abc', '')
    .map((s) => Uint8Array.from(Buffer.from(s, 'latin1'))),
);

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      type: fc.constant('store' as const),
      mode: fc.constantFrom<StoreMode>(
        'set',
        'set',
        'set',
        'add',
        'replace',
        'append',
        'prepend',
        'cas',
      ),
      key,
      value,
      ttlMs,
      flags: fc.constantFrom(0, 1, 0xffffffff),
      isCasCurrent: fc.boolean(),
    }),
  },
  { weight: 5, arbitrary: fc.record({ type: fc.constant('get' as const), key }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('delete' as const), key }) },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constantFrom('incr' as const, 'decr' as const),
      key,
      delta: fc.constantFrom<bigint | number>(0, 1, 5, 100, -1, -7, U64_MAX, 2n ** 64n, 1.5),
    }),
  },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('touch' as const), key, ttlMs }) },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('advance' as const),
      ms: fc.constantFrom(1000, 2000, 3000),
    }),
  },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('clean' as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('sweep' as const),
      max: fc.integer({ min: 0, max: 3 }),
    }),
  },
);

interface Config {
  readonly maxMemory: number;
  readonly maxItemBytes: number;
  readonly defaultTtlMs: number;
}

const config: fc.Arbitrary<Config> = fc.record({
  maxMemory: fc.integer({ min: 40, max: 300 }),
  maxItemBytes: fc.constantFrom(1024 * 1024, 30),
  defaultTtlMs: fc.constantFrom(0, 2000),
});

// ── the model ────────────────────────────────────────────────────────────────────────────────

interface ModelItem {
  readonly key: string;
  value: Uint8Array;
  readonly flags: number;
  cas: bigint;
  expiresAtMs: number;
  readonly createdAtMs: number;
  lastAccessedMs: number;
  hits: number;
}

/** What a call gave back: its result, or the code of the CacheError it threw. */
type Outcome =
  | { readonly ok: unknown }
  | { readonly error: string }
  | { readonly entry: ReturnType<typeof entryView> };

class ModelError extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

function entryView(e: {
  value: Uint8Array;
  flags: number;
  cas: bigint;
  expiresAtMs: number | undefined;
  lastAccessedMs: number;
  accessCount: number;
}) {
  return {
    value: Buffer.from(e.value).toString('hex'),
    flags: e.flags,
    cas: e.cas,
    expiresAtMs: e.expiresAtMs,
    lastAccessedMs: e.lastAccessedMs,
    accessCount: e.accessCount,
  };
}

function parseU64Model(v: Uint8Array): bigint | undefined {
  const s = Buffer.from(v)
    .toString('latin1')
    .replace(/[ \r\n]+$/, '');
  return /^[0-9]{1,20}$/.test(s) && BigInt(s) <= U64_MAX ? BigInt(s) : undefined;
}

class Model {
  /** Oldest first. Stores append; a hit moves the item to the end, except under fifo. */
  readonly items: ModelItem[] = [];
  hits = 0;
  misses = 0;
  evictions = 0;
  expired = 0;
  lastCas = 0n;

  constructor(
    readonly policy: EvictionPolicy,
    readonly maxMemory: number,
    readonly maxItemBytes: number,
    readonly defaultTtlMs: number,
    readonly clock: FakeClock,
  ) {}

  get bytesStored(): number {
    return this.items.reduce((sum, item) => sum + size(item.key, item.value), 0);
  }

  #isExpired(item: ModelItem): boolean {
    return item.expiresAtMs !== 0 && item.expiresAtMs <= this.clock.now;
  }

  #remove(item: ModelItem): void {
    this.items.splice(this.items.indexOf(item), 1);
  }

  /** The item under `key` unless it expired, in which case it is reclaimed (one expiry). */
  #live(key: string): ModelItem | undefined {
    const item = this.items.find((i) => i.key === key);
    if (item === undefined || !this.#isExpired(item)) return item;
    this.#remove(item);
    this.expired++;
    return undefined;
  }

  #soonest(): ModelItem | undefined {
    let soonest: ModelItem | undefined;
    for (const item of this.items) {
      if (item.expiresAtMs !== 0 && (!soonest || item.expiresAtMs < soonest.expiresAtMs)) {
        soonest = item;
      }
    }
    return soonest;
  }

  #victim(): ModelItem | undefined {
    switch (this.policy) {
      case 'lru':
      case 'fifo':
        return this.items[0];
      case 'lfu': {
        const fewest = Math.min(...this.items.map((i) => i.hits));
        return this.items.find((i) => i.hits === fewest);
      }
      case 'ttl':
        return this.#soonest() ?? this.items[0];
    }
  }

  #insert(key: string, value: Uint8Array, flags: number, expiresAtMs: number): void {
    const needed = size(key, value);
    while (this.bytesStored + needed > this.maxMemory) {
      const soonest = this.#soonest();
      if (soonest && this.#isExpired(soonest)) {
        this.#remove(soonest);
        this.expired++;
        continue;
      }
      const victim = this.#victim();
      if (victim === undefined) break;
      this.#remove(victim);
      this.evictions++;
    }
    const now = this.clock.now;
    this.items.push({
      key,
      value,
      flags,
      cas: ++this.lastCas,
      expiresAtMs,
      createdAtMs: now,
      lastAccessedMs: now,
      hits: 0,
    });
  }

  #expiryFor(ttlMs: number): number {
    const ttl = ttlMs === 0 ? this.defaultTtlMs : ttlMs;
    if (ttl === 0) return 0;
    return ttl < 0 ? -1 : this.clock.now + ttl;
  }

  get(key: string): ModelItem | undefined {
    const item = this.#live(key);
    if (item === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    item.hits++;
    item.lastAccessedMs = this.clock.now;
    if (this.policy !== 'fifo') {
      this.#remove(item);
      this.items.push(item);
    }
    return item;
  }

  casOf(key: string): bigint | undefined {
    return this.items.find((i) => i.key === key)?.cas;
  }

  store(
    mode: StoreMode,
    key: string,
    value: Uint8Array,
    ttlMs: number,
    flags: number,
    casUnique: bigint,
  ): StoreResult {
    const existing = this.#live(key);
    if (mode === 'add' && existing) return 'notStored';
    if ((mode === 'replace' || mode === 'append' || mode === 'prepend') && !existing) {
      return 'notStored';
    }
    if (mode === 'cas') {
      if (!existing) return 'notFound';
      if (existing.cas !== casUnique) return 'exists';
    }
    if (existing && (mode === 'append' || mode === 'prepend')) {
      const joined =
        mode === 'append'
          ? Buffer.concat([existing.value, value])
          : Buffer.concat([value, existing.value]);
      if (joined.length > this.maxItemBytes || size(key, joined) > this.maxMemory) {
        throw new ModelError('TOO_LARGE');
      }
      this.#remove(existing);
      this.#insert(key, Uint8Array.from(joined), existing.flags, existing.expiresAtMs);
      return 'stored';
    }
    if (value.length > this.maxItemBytes || size(key, value) > this.maxMemory) {
      // like memcached, only a too-large `set` drops the old value
      if (existing && mode === 'set') this.#remove(existing);
      throw new ModelError('TOO_LARGE');
    }
    const expiresAtMs = this.#expiryFor(ttlMs);
    if (existing) this.#remove(existing);
    if (expiresAtMs >= 0) this.#insert(key, Uint8Array.from(value), flags, expiresAtMs);
    return 'stored';
  }

  delete(key: string): boolean {
    const item = this.#live(key);
    if (item) this.#remove(item);
    return item !== undefined;
  }

  incr(key: string, delta: bigint | number, isDecr: boolean): bigint | undefined {
    let d: bigint;
    if (typeof delta === 'bigint') d = delta;
    else if (Number.isSafeInteger(delta)) d = BigInt(delta);
    else throw new ModelError('INVALID_ARGUMENT');
    if (isDecr && d < 0n) throw new ModelError('INVALID_ARGUMENT');
    const amount = d < 0n ? -d : d;
    if (amount > U64_MAX) throw new ModelError('INVALID_ARGUMENT');
    const item = this.#live(key);
    if (item === undefined) return undefined;
    const current = parseU64Model(item.value);
    if (current === undefined) throw new ModelError('NOT_NUMERIC');
    const next =
      isDecr || d < 0n
        ? current > amount
          ? current - amount
          : 0n
        : (current + amount) % (U64_MAX + 1n);
    const digits = Uint8Array.from(Buffer.from(next.toString()));
    if (digits.length === item.value.length) {
      // rewritten in place: same item, same place in every order
      item.value = digits;
      item.cas = ++this.lastCas;
      return next;
    }
    if (digits.length > this.maxItemBytes || size(key, digits) > this.maxMemory) {
      throw new ModelError('TOO_LARGE');
    }
    this.#remove(item);
    this.#insert(key, digits, item.flags, item.expiresAtMs);
    return next;
  }

  touch(key: string, ttlMs: number): boolean {
    const item = this.#live(key);
    if (item === undefined) return false;
    const expiresAtMs = this.#expiryFor(ttlMs);
    if (expiresAtMs < 0) this.#remove(item);
    else item.expiresAtMs = expiresAtMs;
    return true;
  }

  sweep(max: number): number {
    const expired = this.items
      .filter((i) => this.#isExpired(i))
      .sort((a, b) => a.expiresAtMs - b.expiresAtMs)
      .slice(0, max);
    for (const item of expired) this.#remove(item);
    this.expired += expired.length;
    return expired.length;
  }
}

function size(key: string, value: Uint8Array): number {
  return Buffer.byteLength(key) + value.length;
}

// ── running both ─────────────────────────────────────────────────────────────────────────────

function outcome(fn: () => unknown): Outcome {
  try {
    return { ok: fn() };
  } catch (err) {
    if (err instanceof CacheError || err instanceof ModelError) return { error: err.code };
    throw err;
  }
}

function runOnNode(node: CacheNode, o: Op, casUnique: bigint): Outcome {
  switch (o.type) {
    case 'store':
      return outcome(() => node.store(o.mode, KEYS[o.key]!, o.value, o.ttlMs, o.flags, casUnique));
    case 'get': {
      let entry: CacheEntry | undefined;
      const result = outcome(() => {
        entry = node.get(KEYS[o.key]!);
      });
      if ('error' in result || entry === undefined) return result;
      return { entry: entryView(entry) };
    }
    case 'delete':
      return outcome(() => node.delete(KEYS[o.key]!));
    case 'incr':
      return outcome(() => node.incr(KEYS[o.key]!, o.delta));
    case 'decr':
      return outcome(() => node.decr(KEYS[o.key]!, o.delta));
    case 'touch':
      return outcome(() => node.touch(KEYS[o.key]!, o.ttlMs));
    case 'advance':
      return { ok: undefined };
    case 'clean':
      return outcome(() => node.cleanExpired());
    case 'sweep':
      return outcome(() => node.sweepExpired(o.max));
  }
}

function runOnModel(model: Model, o: Op, casUnique: bigint): Outcome {
  switch (o.type) {
    case 'store':
      return outcome(() => model.store(o.mode, KEYS[o.key]!, o.value, o.ttlMs, o.flags, casUnique));
    case 'get': {
      const item = model.get(KEYS[o.key]!);
      if (item === undefined) return { ok: undefined };
      return {
        entry: entryView({
          ...item,
          expiresAtMs: item.expiresAtMs === 0 ? undefined : item.expiresAtMs,
          accessCount: item.hits,
        }),
      };
    }
    case 'delete':
      return outcome(() => model.delete(KEYS[o.key]!));
    case 'incr':
    case 'decr':
      return outcome(() => model.incr(KEYS[o.key]!, o.delta, o.type === 'decr'));
    case 'touch':
      return outcome(() => model.touch(KEYS[o.key]!, o.ttlMs));
    case 'advance':
      return { ok: undefined };
    case 'clean':
      return outcome(() => model.sweep(Number.POSITIVE_INFINITY));
    case 'sweep':
      return outcome(() => model.sweep(o.max));
  }
}

function check(policy: EvictionPolicy, cfg: Config, ops: readonly Op[]) {
  const clock = new FakeClock();
  const node = new CacheNode(cfg.maxMemory, policy, {
    clock: clock.read,
    maxItemBytes: cfg.maxItemBytes,
    defaultTtlMs: cfg.defaultTtlMs,
  });
  const model = new Model(policy, cfg.maxMemory, cfg.maxItemBytes, cfg.defaultTtlMs, clock);
  for (const [step, o] of ops.entries()) {
    clock.advance(o.type === 'advance' ? o.ms + 1 : 1);
    let casUnique = 1n;
    if (o.type === 'store') {
      const current = model.casOf(KEYS[o.key]!) ?? 1n;
      casUnique = o.isCasCurrent ? current : current + 1000n;
    }
    const expected = runOnModel(model, o, casUnique);
    const actual = runOnNode(node, o, casUnique);
    const where = `step ${step}: ${JSON.stringify(o, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))}`;
    expect(actual, where).toEqual(expected);
    if ('entry' in expected) {
      // creation time may be kept to the second: never later, never a second early
      const item = model.items.find((i) => i.key === KEYS[(o as { key: number }).key]);
      const created = node.get(item!.key)!.createdAtMs; // a get of its own: mirror it
      model.get(item!.key);
      expect(created, where).toBeLessThanOrEqual(item!.createdAtMs);
      expect(created, where).toBeGreaterThan(item!.createdAtMs - 1000);
    }
    const stats = node.stats();
    expect(stats.bytesStored, where).toBeLessThanOrEqual(cfg.maxMemory);
    expect(stats.physicalBytes, where).toBeGreaterThanOrEqual(stats.bytesStored);
    expect(
      {
        hits: stats.hits,
        misses: stats.misses,
        evictions: stats.evictions,
        expired: stats.expired,
        bytesStored: stats.bytesStored,
        entryCount: stats.entryCount,
        keys: storedKeys(node),
      },
      where,
    ).toEqual({
      hits: model.hits,
      misses: model.misses,
      evictions: model.evictions,
      expired: model.expired,
      bytesStored: model.bytesStored,
      entryCount: model.items.length,
      keys: model.items.map((i) => i.key).sort(),
    });
  }
}

describe('CacheNode against a list model', () => {
  for (const policy of EVICTION_POLICIES) {
    it(`${policy}: same results, same victims, same counters, bytesStored ≤ maxMemory`, () => {
      fc.assert(
        fc.property(
          config,
          fc.array(op, { minLength: 1, maxLength: 80, size: 'max' }),
          (cfg, ops) => check(policy, cfg, ops),
        ),
        RUNS,
      );
    });
  }
});
