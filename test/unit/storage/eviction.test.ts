import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FifoOrder } from '../../../src/storage/eviction/fifo.js';
import { LfuOrder } from '../../../src/storage/eviction/lfu.js';
import { LruOrder } from '../../../src/storage/eviction/lru.js';
import type { EvictionOrder } from '../../../src/storage/eviction/policy.js';
import { TtlOrder } from '../../../src/storage/eviction/ttl.js';
import { ExpiryHeap } from '../../../src/storage/expiry-heap.js';
import { NONE, SlotTable } from '../../../src/storage/slot-table.js';
import type { EvictionPolicy } from '../../../src/types.js';
import { filled, nodeWithClock, storedKeys } from '../../helpers/storage.js';

// ── the orders on their own ──────────────────────────────────────────────────────────────────

interface Harness {
  readonly table: SlotTable;
  readonly heap: ExpiryHeap;
  readonly order: EvictionOrder;
}

function harness(policy: EvictionPolicy, capacity = 16): Harness {
  const table = new SlotTable(capacity);
  for (let i = 0; i < table.capacity; i++) table.allocate();
  const heap = new ExpiryHeap(table);
  let lfu: LfuOrder | undefined;
  let order: EvictionOrder;
  switch (policy) {
    case 'lru':
      order = new LruOrder(table);
      break;
    case 'fifo':
      order = new FifoOrder(table);
      break;
    case 'lfu':
      lfu = new LfuOrder(table);
      order = lfu;
      break;
    case 'ttl':
      order = new TtlOrder(table, heap);
      break;
  }
  table.onGrow = (c) => {
    heap.grow(c);
    lfu?.grow(c);
  };
  return { table, heap, order };
}

/** Inserts `slot`; with an expiry it also joins the heap, as CacheNode does. */
function insert(h: Harness, slot: number, expiresAtMs = 0): void {
  h.order.insert(slot);
  if (expiresAtMs !== 0) h.heap.upsert(slot, expiresAtMs);
}

function remove(h: Harness, slot: number): void {
  h.order.remove(slot);
  h.heap.remove(slot);
}

/** Every victim in turn, each removed once named. */
function drain(h: Harness): number[] {
  const out: number[] = [];
  for (let v = h.order.victim(); v !== NONE; v = h.order.victim()) {
    out.push(v);
    remove(h, v);
  }
  return out;
}

describe('LruOrder', () => {
  it('evicts the least recently used; a hit makes an entry the newest', () => {
    const h = harness('lru');
    expect(h.order.victim()).toBe(NONE);
    for (const slot of [0, 1, 2, 3]) insert(h, slot);
    h.order.access(0);
    h.order.access(2);
    h.order.access(0);
    expect(drain(h)).toEqual([1, 3, 2, 0]);
  });

  it('handles removal of the head, the tail and the only entry', () => {
    const h = harness('lru');
    for (const slot of [0, 1, 2]) insert(h, slot);
    remove(h, 2); // head (newest)
    remove(h, 0); // tail (oldest)
    expect(h.order.victim()).toBe(1);
    remove(h, 1);
    expect(h.order.victim()).toBe(NONE);
    insert(h, 5);
    h.order.access(5);
    expect(drain(h)).toEqual([5]);
  });

  it('clear forgets everything', () => {
    const h = harness('lru');
    insert(h, 0);
    insert(h, 1);
    h.order.clear();
    expect(h.order.victim()).toBe(NONE);
    insert(h, 1);
    expect(drain(h)).toEqual([1]);
  });
});

describe('FifoOrder', () => {
  it('evicts in insertion order; hits change nothing', () => {
    const h = harness('fifo');
    for (const slot of [3, 1, 2, 0]) insert(h, slot);
    h.order.access(3);
    h.order.access(1);
    expect(drain(h)).toEqual([3, 1, 2, 0]);
  });

  it('a re-insert goes to the back', () => {
    const h = harness('fifo');
    for (const slot of [0, 1, 2]) insert(h, slot);
    remove(h, 0);
    insert(h, 0);
    expect(drain(h)).toEqual([1, 2, 0]);
  });
});

describe('LfuOrder', () => {
  it('evicts the fewest hits first, least recently used among equals', () => {
    const h = harness('lfu');
    for (const slot of [0, 1, 2, 3, 4]) insert(h, slot);
    h.order.access(0); // 0:1
    h.order.access(1); // 1:1
    h.order.access(0); // 0:2
    h.order.access(3); // 3:1
    // hits: 0→2, 1→1, 3→1, 2→0, 4→0; among 1 and 3, 1 was hit first
    expect(drain(h)).toEqual([2, 4, 1, 3, 0]);
  });

  it('puts a new entry at 0 hits, below entries that were hit', () => {
    const h = harness('lfu');
    insert(h, 0);
    h.order.access(0);
    insert(h, 1);
    expect(h.order.victim()).toBe(1);
    remove(h, 1);
    expect(h.order.victim()).toBe(0);
  });

  it('a re-insert starts over at 0 hits', () => {
    const h = harness('lfu');
    insert(h, 0);
    insert(h, 1);
    for (let i = 0; i < 5; i++) h.order.access(0);
    h.order.access(1);
    remove(h, 0);
    insert(h, 0);
    expect(drain(h)).toEqual([0, 1]);
  });

  it('keeps more frequency buckets than it starts with, and reuses emptied ones', () => {
    const h = harness('lfu', 64);
    for (let slot = 0; slot < 40; slot++) insert(h, slot);
    // slot s gets (40 - s) hits: 40 distinct frequencies, more than the initial 16 buckets
    for (let slot = 0; slot < 40; slot++) {
      for (let i = 0; i < 40 - slot; i++) h.order.access(slot);
    }
    const expected = Array.from({ length: 40 }, (_, i) => 39 - i);
    expect(drain(h)).toEqual(expected);
    for (let slot = 0; slot < 3; slot++) insert(h, slot);
    h.order.access(2);
    expect(drain(h)).toEqual([0, 1, 2]);
  });

  it('follows the table when it grows', () => {
    const table = new SlotTable(16);
    const lfu = new LfuOrder(table);
    table.onGrow = (c) => lfu.grow(c);
    for (let i = 0; i < 50; i++) {
      const slot = table.slotOf(table.allocate());
      lfu.insert(slot);
      for (let k = 0; k < i % 5; k++) lfu.access(slot);
    }
    expect(table.capacity).toBeGreaterThanOrEqual(50);
    const victims: number[] = [];
    for (let v = lfu.victim(); v !== NONE; v = lfu.victim()) {
      victims.push(v);
      lfu.remove(v);
    }
    const expected = Array.from({ length: 50 }, (_, i) => i).sort(
      (a, b) => (a % 5) - (b % 5) || a - b,
    );
    expect(victims).toEqual(expected);
  });

  it('clear forgets every bucket', () => {
    const h = harness('lfu');
    insert(h, 0);
    h.order.access(0);
    h.order.clear();
    expect(h.order.victim()).toBe(NONE);
    insert(h, 1);
    insert(h, 2);
    h.order.access(1);
    expect(drain(h)).toEqual([2, 1]);
  });
});

describe('TtlOrder', () => {
  it('evicts the soonest expiry first, then entries without TTL least recently used first', () => {
    const h = harness('ttl');
    insert(h, 0); // no TTL
    insert(h, 1, 300);
    insert(h, 2); // no TTL
    insert(h, 3, 100);
    insert(h, 4, 200);
    h.order.access(0); // 2 is now the LRU entry without TTL
    h.order.access(3); // a hit does not save an entry with a TTL
    expect(drain(h)).toEqual([3, 4, 1, 2, 0]);
  });

  it('follows an expiry that changed', () => {
    const h = harness('ttl');
    insert(h, 0, 100);
    insert(h, 1, 200);
    h.heap.upsert(0, 500);
    expect(h.order.victim()).toBe(1);
    // the TTL removed (touch with 0): 0 joins the entries without TTL
    h.heap.remove(1);
    expect(drain(h)).toEqual([0, 1]);
  });
});

describe('orders against a list model', () => {
  for (const policy of ['lru', 'fifo', 'lfu'] as const) {
    it(`${policy}: victim matches the model after every random insert, hit and remove`, () => {
      const op = fc.record({
        slot: fc.integer({ min: 0, max: 11 }),
        kind: fc.constantFrom('insert', 'access', 'access', 'remove'),
      });
      fc.assert(
        fc.property(fc.array(op, { maxLength: 100 }), (ops) => {
          const h = harness(policy);
          // oldest first; hits move an entry to the end except under fifo
          const list: { slot: number; hits: number }[] = [];
          for (const { slot, kind } of ops) {
            const at = list.findIndex((e) => e.slot === slot);
            if (kind === 'insert' && at < 0) {
              insert(h, slot);
              list.push({ slot, hits: 0 });
            } else if (kind === 'access' && at >= 0) {
              h.order.access(slot);
              const [entry] = list.splice(at, 1);
              entry!.hits++;
              if (policy === 'fifo') list.splice(at, 0, entry!);
              else list.push(entry!);
            } else if (kind === 'remove' && at >= 0) {
              remove(h, slot);
              list.splice(at, 1);
            }
            const fewest = Math.min(...list.map((e) => e.hits));
            const expected =
              list.length === 0
                ? NONE
                : policy === 'lfu'
                  ? list.find((e) => e.hits === fewest)!.slot
                  : list[0]!.slot;
            expect(h.order.victim()).toBe(expected);
          }
        }),
        { numRuns: 300 },
      );
    });
  }
});

// ── the policies through CacheNode ───────────────────────────────────────────────────────────

// Each item is a 1-byte key + 9-byte value = 10 bytes; a 30-byte node holds 3.
const ITEM = filled(9);

function fullNode(policy: EvictionPolicy, keys: readonly string[] = ['a', 'b', 'c']) {
  const { node, clock } = nodeWithClock(30, policy);
  for (const key of keys) node.set(key, ITEM);
  return { node, clock };
}

describe('eviction through CacheNode', () => {
  it('lru: a hit protects an entry; the least recently used goes', () => {
    const { node } = fullNode('lru');
    node.get('a');
    node.set('d', ITEM);
    expect(storedKeys(node)).toEqual(['a', 'c', 'd']);
    node.get('c');
    node.set('e', ITEM); // order oldest → newest: a, d, c
    expect(storedKeys(node)).toEqual(['c', 'd', 'e']);
    expect(node.stats().evictions).toBe(2);
  });

  it('fifo: hits change nothing; the first stored goes', () => {
    const { node } = fullNode('fifo');
    node.get('a');
    node.get('a');
    node.set('d', ITEM);
    expect(storedKeys(node)).toEqual(['b', 'c', 'd']);
    node.get('b');
    node.set('e', ITEM);
    expect(storedKeys(node)).toEqual(['c', 'd', 'e']);
  });

  it('lfu: the fewest hits go first', () => {
    const { node } = fullNode('lfu');
    node.get('a');
    node.get('a');
    node.get('b');
    node.set('d', ITEM); // c has 0 hits
    expect(storedKeys(node)).toEqual(['a', 'b', 'd']);
    node.set('e', ITEM); // d is new: 0 hits
    expect(storedKeys(node)).toEqual(['a', 'b', 'e']);
    expect(node.get('a')?.accessCount).toBe(3);
  });

  it('lfu: ties go to the least recently used', () => {
    const { node } = fullNode('lfu');
    expect(storedKeys(node)).toEqual(['a', 'b', 'c']);
    node.set('d', ITEM); // all at 0 hits: a is the oldest
    expect(storedKeys(node)).toEqual(['b', 'c', 'd']);
    node.get('d');
    node.get('b');
    node.get('c'); // all at 1 hit; d was hit first
    node.set('e', ITEM);
    expect(storedKeys(node)).toEqual(['b', 'c', 'e']);
  });

  it('lfu: a set over an existing key starts it over at 0 hits', () => {
    const { node } = fullNode('lfu');
    for (let i = 0; i < 3; i++) node.get('a');
    node.get('b');
    node.get('c');
    node.set('a', ITEM);
    expect(node.get('a')?.accessCount).toBe(1); // this get is its one hit
    node.set('a', ITEM);
    node.set('d', ITEM);
    expect(storedKeys(node)).toEqual(['b', 'c', 'd']);
  });

  it('ttl: soonest expiry first, then entries without TTL, least recently used first', () => {
    const { node } = nodeWithClock(40, 'ttl');
    node.set('a', ITEM, 300);
    node.set('b', ITEM, 100);
    node.set('c', ITEM);
    node.set('d', ITEM, 200);
    node.get('b'); // a hit does not save it
    node.set('e', ITEM);
    expect(storedKeys(node)).toEqual(['a', 'c', 'd', 'e']);
    node.set('f', ITEM);
    expect(storedKeys(node)).toEqual(['a', 'c', 'e', 'f']);
    node.set('g', ITEM);
    expect(storedKeys(node)).toEqual(['c', 'e', 'f', 'g']);
    node.get('c');
    node.set('h', ITEM); // no TTL left: LRU among c, e, f, g → e
    expect(storedKeys(node)).toEqual(['c', 'f', 'g', 'h']);
    const stats = node.stats();
    expect([stats.evictions, stats.expired]).toEqual([4, 0]);
  });

  it('ttl: touch moves an entry in the order', () => {
    const { node } = nodeWithClock(30, 'ttl');
    node.set('a', ITEM, 100);
    node.set('b', ITEM, 200);
    node.set('c', ITEM);
    node.touch('b', 50);
    node.set('d', ITEM);
    expect(storedKeys(node)).toEqual(['a', 'c', 'd']);
    node.touch('a', 0); // no TTL any more; a touch is not a hit, so a is the least recently used
    node.set('e', ITEM);
    expect(storedKeys(node)).toEqual(['c', 'd', 'e']);
  });

  for (const policy of ['lru', 'fifo', 'lfu', 'ttl'] as const) {
    it(`${policy}: a set over an existing key counts as a new item`, () => {
      const { node } = fullNode(policy);
      node.set('a', ITEM); // now the newest of all (and at 0 hits)
      node.get('b');
      node.get('c');
      node.set('d', ITEM);
      const expected = policy === 'fifo' ? ['a', 'c', 'd'] : ['b', 'c', 'd'];
      expect(storedKeys(node)).toEqual(expected);
    });

    it(`${policy}: expired entries are reclaimed before anything is evicted`, () => {
      const { node, clock } = nodeWithClock(30, policy);
      node.set('a', ITEM);
      node.set('b', ITEM, 10);
      node.set('c', ITEM);
      node.get('b');
      clock.advance(10);
      node.set('d', ITEM);
      expect(storedKeys(node)).toEqual(['a', 'c', 'd']);
      const stats = node.stats();
      expect([stats.evictions, stats.expired]).toEqual([0, 1]);
    });

    it(`${policy}: evicts as many entries as the new item needs, never the item itself`, () => {
      const { node } = fullNode(policy);
      node.set('big', filled(17)); // 20 bytes: two of the three must go
      expect(node.stats().evictions).toBe(2);
      expect(node.stats().entryCount).toBe(2);
      expect(node.stats().bytesStored).toBe(30);
      expect(storedKeys(node)).toContain('big');
    });
  }
});
