import { describe, expect, it } from 'vitest';
import { hashKeyBytes } from '../../../src/storage/key-bytes.js';
import { SlabAllocator } from '../../../src/storage/slab-allocator.js';
import { NONE, SlotTable } from '../../../src/storage/slot-table.js';

/** A table plus the slab its keys live in, filled the way CacheNode fills it. */
class Harness {
  readonly table: SlotTable;
  readonly slab = new SlabAllocator();
  constructor(capacity: number) {
    this.table = new SlotTable(capacity);
  }

  insert(key: string, hash = hashOf(key)): number {
    const bytes = Buffer.from(key);
    const page = this.slab.alloc(bytes.length);
    const offset = this.slab.allocatedOffset;
    this.slab.pages[page]!.set(bytes, offset);
    const t = this.table;
    const slot = t.allocate();
    t.setHash(slot, hash);
    t.setChunk(slot, page, offset, bytes.length);
    t.setValueLength(slot, 0);
    t.link(slot);
    return slot;
  }

  find(key: string, hash = hashOf(key)): number {
    const bytes = Buffer.from(key);
    return this.table.find(hash, bytes, 0, bytes.length, this.slab);
  }

  delete(slot: number): void {
    const t = this.table;
    t.unlink(slot);
    this.slab.free(t.page(slot), t.offset(slot), t.keyLength(slot));
    t.release(slot);
  }
}

function hashOf(key: string): number {
  const bytes = Buffer.from(key);
  return hashKeyBytes(bytes, 0, bytes.length);
}

describe('SlotTable fields', () => {
  it('stores each field of a row independently', () => {
    const t = new SlotTable(16);
    const slot = t.allocate();
    t.setExpiresAtMs(slot, 1_700_000_000_123.5);
    t.setCas(slot, 2 ** 53 - 1);
    t.setLastAccessedMs(slot, 11);
    t.setCreatedAtMs(slot, 1_700_000_000_000);
    t.setChunk(slot, 3, 1_048_568, 250);
    t.setHash(slot, 0xdeadbeef);
    t.setValueLength(slot, 1_048_576);
    t.setAccessCount(slot, 7);
    t.setFlags(slot, 0xffffffff);
    t.setNext(slot, 5);
    t.setPrev(slot, NONE);
    expect(t.expiresAtMs(slot)).toBe(1_700_000_000_123.5);
    expect(t.cas(slot)).toBe(2 ** 53 - 1);
    expect(t.lastAccessedMs(slot)).toBe(11);
    expect(t.createdAtMs(slot)).toBe(1_700_000_000_000);
    expect([t.page(slot), t.offset(slot)]).toEqual([3, 1_048_568]);
    expect(t.hash(slot) >>> 0).toBe(0xdeadbeef);
    expect(t.valueLength(slot)).toBe(1_048_576);
    expect(t.keyLength(slot)).toBe(250);
    expect(t.accessCount(slot)).toBe(7);
    expect(t.flags(slot)).toBe(0xffffffff);
    expect([t.next(slot), t.prev(slot)]).toEqual([5, NONE]);
  });

  it('keeps rows apart', () => {
    const t = new SlotTable(16);
    for (let slot = 0; slot < 16; slot++) {
      expect(t.allocate()).toBe(slot);
      t.setFlags(slot, slot * 1000);
      t.setExpiresAtMs(slot, slot + 0.25);
    }
    for (let slot = 0; slot < 16; slot++) {
      expect(t.flags(slot)).toBe(slot * 1000);
      expect(t.expiresAtMs(slot)).toBe(slot + 0.25);
    }
  });

  it('counts accesses, saturating at 2^31 - 1', () => {
    const t = new SlotTable(16);
    const slot = t.allocate();
    t.setAccessCount(slot, 0);
    t.countAccess(slot);
    t.countAccess(slot);
    expect(t.accessCount(slot)).toBe(2);
    t.setAccessCount(slot, 0x7ffffffe);
    t.countAccess(slot);
    t.countAccess(slot);
    expect(t.accessCount(slot)).toBe(0x7fffffff);
  });
});

describe('SlotTable slots', () => {
  it('hands out slots in order, then reuses released ones last-in first-out', () => {
    const t = new SlotTable(16);
    expect([t.allocate(), t.allocate(), t.allocate()]).toEqual([0, 1, 2]);
    t.release(0);
    t.release(2);
    expect(t.allocate()).toBe(2);
    expect(t.allocate()).toBe(0);
    expect(t.allocate()).toBe(3);
    expect(t.highWater).toBe(4);
  });

  it('has a capacity of at least 16', () => {
    expect(new SlotTable(0).capacity).toBe(16);
    expect(new SlotTable(100).capacity).toBe(100);
  });

  it('grows by 1.5x past its capacity, keeping every field and column, and says so', () => {
    const t = new SlotTable(16);
    const grownTo: number[] = [];
    t.onGrow = (capacity) => grownTo.push(capacity);
    for (let i = 0; i < 40; i++) {
      const slot = t.allocate();
      expect(slot).toBe(i);
      t.setFlags(slot, i);
      t.setCas(slot, i * 10);
      t.setNext(slot, i + 1);
      t.partition[slot] = i * 3;
    }
    expect(grownTo).toEqual([24, 36, 54]);
    expect(t.capacity).toBe(54);
    for (let i = 0; i < 40; i++) {
      expect([t.flags(i), t.cas(i), t.next(i), t.partition[i]]).toEqual([i, i * 10, i + 1, i * 3]);
    }
  });
});

describe('SlotTable hash index', () => {
  it('finds linked keys and misses others', () => {
    const h = new Harness(16);
    const a = h.insert('alpha');
    const b = h.insert('beta');
    expect(h.find('alpha')).toBe(a);
    expect(h.find('beta')).toBe(b);
    expect(h.find('gamma')).toBe(NONE);
    expect(h.find('alph')).toBe(NONE);
    expect(h.table.count).toBe(2);
  });

  it('compares the key bytes, not just the hash and length', () => {
    const h = new Harness(16);
    const slot = h.insert('abcd', 42);
    expect(h.find('abcd', 42)).toBe(slot);
    expect(h.find('abce', 42)).toBe(NONE);
    expect(h.find('abcd', 43)).toBe(NONE);
  });

  it('finds a key inside a larger buffer', () => {
    const h = new Harness(16);
    const slot = h.insert('key');
    const buffer = Buffer.from('get key\r\n');
    expect(h.table.find(hashOf('key'), buffer, 4, 3, h.slab)).toBe(slot);
  });

  it('unlinks the head, middle and tail of one chain', () => {
    const h = new Harness(16);
    const keys = ['k0', 'k1', 'k2', 'k3', 'k4'];
    const slots = keys.map((k) => h.insert(k, 7)); // one hash: one chain
    for (const [i, k] of keys.entries()) expect(h.find(k, 7)).toBe(slots[i]);
    // the newest key is the head of the chain; k2 the middle; k0 the tail
    for (const gone of [4, 2, 0]) {
      h.delete(slots[gone]!);
      expect(h.find(keys[gone]!, 7)).toBe(NONE);
    }
    expect(h.find('k1', 7)).toBe(slots[1]);
    expect(h.find('k3', 7)).toBe(slots[3]);
    expect(h.table.count).toBe(2);
  });

  it('doubles its buckets past load 1 and keeps every key findable', () => {
    const h = new Harness(16);
    const initialBuckets = h.table.buckets.length;
    const slots = new Map<string, number>();
    for (let i = 0; i < initialBuckets; i++) slots.set(`key:${i}`, h.insert(`key:${i}`));
    expect(h.table.buckets.length).toBe(initialBuckets);
    slots.set('one more', h.insert('one more'));
    expect(h.table.buckets.length).toBe(initialBuckets * 2);
    for (let i = 0; i < 3 * initialBuckets; i++) slots.set(`more:${i}`, h.insert(`more:${i}`));
    expect(h.table.count).toBe(4 * initialBuckets + 1);
    expect(h.table.buckets.length).toBe(initialBuckets * 8);
    for (const [key, slot] of slots) expect(h.find(key)).toBe(slot);
  });

  it('skips released slots when it rehashes', () => {
    const h = new Harness(16);
    const n = h.table.buckets.length;
    const slots: number[] = [];
    for (let i = 0; i < n; i++) slots.push(h.insert(`a${i}`));
    for (let i = 0; i < n; i += 2) h.delete(slots[i]!);
    for (let i = 0; i < n; i++) h.insert(`b${i}`); // count passes n: a rehash
    expect(h.table.buckets.length).toBe(2 * n);
    expect(h.table.count).toBe(n + n / 2);
    for (let i = 0; i < n; i++) {
      expect(h.find(`a${i}`) === NONE).toBe(i % 2 === 0);
      expect(h.find(`b${i}`)).not.toBe(NONE);
    }
  });

  it('clear forgets every entry and starts handing out slot 0 again', () => {
    const h = new Harness(16);
    for (let i = 0; i < 30; i++) h.insert(`k${i}`);
    const capacity = h.table.capacity;
    h.table.clear();
    expect(h.table.count).toBe(0);
    expect(h.table.highWater).toBe(0);
    expect(h.table.capacity).toBe(capacity);
    expect(h.find('k3')).toBe(NONE);
    expect(h.table.allocate()).toBe(0);
  });

  it('reports more physical bytes as it grows', () => {
    const h = new Harness(16);
    const before = h.table.physicalBytes;
    for (let i = 0; i < 100; i++) h.insert(`k${i}`);
    expect(h.table.physicalBytes).toBeGreaterThan(before);
    expect(h.table.physicalBytes).toBeGreaterThanOrEqual(h.table.capacity * 64);
  });
});
