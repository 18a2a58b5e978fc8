import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stampItem } from '../../../src/storage/item-header.js';
import { hashKeyBytes } from '../../../src/storage/key-bytes.js';
import { SlabAllocator } from '../../../src/storage/slab-allocator.js';
import { HEADER_BYTES, NONE, SlotTable } from '../../../src/storage/slot-table.js';

/** A table filled the way CacheNode fills it: key bytes in the item's chunk, then linked. */
class Harness {
  readonly table: SlotTable;
  constructor(capacity: number) {
    this.table = new SlotTable(capacity);
  }

  insert(key: string): number {
    const bytes = Buffer.from(key);
    const t = this.table;
    const item = t.allocate(bytes.length, 0);
    t.bytesOf(item).set(bytes, t.keyOffset(item));
    t.link(item, hashOf(key));
    return item;
  }

  find(key: string): number {
    const bytes = Buffer.from(key);
    return this.table.find(hashOf(key), bytes, 0, bytes.length);
  }

  delete(item: number): void {
    this.table.unlink(item);
    this.table.release(item);
  }
}

function hashOf(key: string): number {
  const bytes = Buffer.from(key);
  return hashKeyBytes(bytes, 0, bytes.length);
}

/** `n` keys of one length whose hashes share a bucket of a new table (1024 buckets). */
function sameBucket(n: number): string[] {
  const byBucket = new Map<number, string[]>();
  for (let i = 0; ; i++) {
    const key = `k${String(i).padStart(5, '0')}`;
    const bucket = hashOf(key) & 1023;
    const keys = byBucket.get(bucket) ?? [];
    keys.push(key);
    byBucket.set(bucket, keys);
    if (keys.length === n) return keys;
  }
}

describe('SlotTable fields', () => {
  it("stores each field of an item's header independently, next to its key and value", () => {
    const t = new SlotTable(16);
    const item = t.allocate(250, 1_048_576);
    stampItem(t.slab, item, 0xffffffff, 2 ** 53 - 1, 1_700_000_000_123.5, 1_700_000_000_999);
    const slot = t.slotOf(item);
    t.setNext(slot, 5);
    t.setPrev(slot, NONE);
    expect(t.expiresAtMs(item)).toBe(1_700_000_000_123.5);
    expect(t.cas(item)).toBe(2 ** 53 - 1);
    expect(t.lastAccessedMs(item)).toBe(1_700_000_000_999);
    expect(t.createdAtMs(item)).toBe(1_700_000_000_000); // to the second
    expect(t.valueLength(item)).toBe(1_048_576);
    expect(t.keyLength(item)).toBe(250);
    expect(t.accessCount(item)).toBe(0);
    expect(t.flags(item)).toBe(0xffffffff);
    expect([t.next(slot), t.prev(slot)]).toEqual([5, NONE]);
    expect(t.itemOf(slot)).toBe(item);
    expect(t.keyOffset(item)).toBe(SlabAllocator.offsetOf(item) + HEADER_BYTES);
    expect(t.valueOffset(item)).toBe(t.keyOffset(item) + 250);
    expect(t.bytesOf(item).length).toBeGreaterThanOrEqual(t.valueOffset(item) + 1_048_576);
  });

  it('keeps items apart', () => {
    const t = new SlotTable(16);
    const items: number[] = [];
    for (let i = 0; i < 16; i++) {
      const item = t.allocate(i + 1, i * 10);
      items.push(item);
      stampItem(t.slab, item, i * 1000, 1, i + 0.25, 0);
      t.bytesOf(item).fill(i, t.keyOffset(item), t.valueOffset(item) + i * 10);
    }
    for (const [i, item] of items.entries()) {
      expect(t.slotOf(item)).toBe(i);
      expect([t.keyLength(item), t.valueLength(item)]).toEqual([i + 1, i * 10]);
      expect(t.flags(item)).toBe(i * 1000);
      expect(t.expiresAtMs(item)).toBe(i + 0.25);
      const bytes = t.bytesOf(item).subarray(t.keyOffset(item), t.valueOffset(item) + i * 10);
      expect(bytes.every((b) => b === i)).toBe(true);
    }
  });

  it('tells whether a new size fits the chunk an item has', () => {
    const t = new SlotTable(16);
    const item = t.allocate(10, 100); // header + 110 bytes: a 160-byte chunk
    expect(HEADER_BYTES + 110).toBeLessThanOrEqual(160);
    expect(t.fitsInPlace(item, 112)).toBe(true);
    expect(t.fitsInPlace(item, 105)).toBe(true);
    expect(t.fitsInPlace(item, 113)).toBe(false);
    expect(t.fitsInPlace(item, 104)).toBe(false);
  });
});

describe('SlotTable slots', () => {
  it('hands out slots in order, then reuses released ones last-in first-out', () => {
    const t = new SlotTable(16);
    const items = [t.allocate(), t.allocate(), t.allocate()];
    expect(items.map((item) => t.slotOf(item))).toEqual([0, 1, 2]);
    t.release(items[0]!);
    t.release(items[2]!);
    expect(t.slotOf(t.allocate())).toBe(2);
    expect(t.slotOf(t.allocate())).toBe(0);
    expect(t.slotOf(t.allocate())).toBe(3);
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
    const items: number[] = [];
    for (let i = 0; i < 40; i++) {
      const item = t.allocate(4, 4);
      const slot = t.slotOf(item);
      items.push(item);
      expect(slot).toBe(i);
      stampItem(t.slab, item, i, i * 10, 0, 0);
      t.setNext(slot, i + 1);
      t.partition[slot] = i * 3;
    }
    expect(grownTo).toEqual([24, 36, 54]);
    expect(t.capacity).toBe(54);
    for (const [i, item] of items.entries()) {
      expect(t.itemOf(i)).toBe(item);
      expect([t.flags(item), t.cas(item), t.next(i), t.partition[i]]).toEqual([
        i,
        i * 10,
        i + 1,
        i * 3,
      ]);
    }
  });

  it('frees the chunk with the slot: the slab hands it out again', () => {
    const t = new SlotTable(16);
    const a = t.allocate(12, 100);
    t.allocate(12, 100);
    t.release(a);
    expect(t.allocate(20, 90)).toBe(a); // same chunk class
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

  it('compares the key bytes, not just the bucket and length', () => {
    const h = new Harness(16);
    const [a, b] = sameBucket(2);
    const item = h.insert(a!);
    expect(h.find(a!)).toBe(item);
    expect(h.find(b!)).toBe(NONE);
  });

  it('finds a key inside a larger buffer', () => {
    const h = new Harness(16);
    const slot = h.insert('key');
    const buffer = Buffer.from('get key\r\n');
    expect(h.table.find(hashOf('key'), buffer, 4, 3)).toBe(slot);
  });

  it('unlinks the head, middle and tail of one chain', () => {
    const h = new Harness(16);
    const keys = sameBucket(5); // one bucket: one chain
    const items = keys.map((k) => h.insert(k));
    for (const [i, k] of keys.entries()) expect(h.find(k)).toBe(items[i]);
    // the newest key is the head of the chain; the third the middle; the first the tail
    for (const gone of [4, 2, 0]) {
      h.delete(items[gone]!);
      expect(h.find(keys[gone]!)).toBe(NONE);
    }
    expect(h.find(keys[1]!)).toBe(items[1]);
    expect(h.find(keys[3]!)).toBe(items[3]);
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

  it('finds, links and unlinks keys while its buckets double (incrementally), like a Set', () => {
    const op = fc.record({
      key: fc.integer({ min: 0, max: 4999 }),
      isDelete: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(op, { minLength: 1500, maxLength: 4000 }), (ops) => {
        const h = new Harness(16);
        const model = new Map<string, number>();
        for (const [n, { key, isDelete }] of ops.entries()) {
          const k = `key:${key}`;
          const item = model.get(k);
          if (isDelete && item !== undefined) {
            h.delete(item);
            model.delete(k);
          } else if (!isDelete && item === undefined) {
            model.set(k, h.insert(k));
          }
          // spot checks as it goes; everything at the end
          if (n % 97 === 0) expect(h.find(k)).toBe(model.get(k) ?? NONE);
        }
        expect(h.table.count).toBe(model.size);
        for (let key = 0; key < 5000; key++) {
          const k = `key:${key}`;
          expect(h.find(k)).toBe(model.get(k) ?? NONE);
        }
      }),
      { numRuns: 20 },
    );
  });

  it('clear forgets every item and starts handing out slot 0 again', () => {
    const h = new Harness(16);
    for (let i = 0; i < 30; i++) h.insert(`k${i}`);
    const capacity = h.table.capacity;
    h.table.clear();
    expect(h.table.count).toBe(0);
    expect(h.table.highWater).toBe(0);
    expect(h.table.capacity).toBe(capacity);
    expect(h.find('k3')).toBe(NONE);
    expect(h.table.slotOf(h.table.allocate())).toBe(0);
    expect(h.table.slab.pages).toHaveLength(1);
  });

  it('reports more physical bytes as it grows', () => {
    const h = new Harness(16);
    const before = h.table.physicalBytes;
    for (let i = 0; i < 100; i++) h.insert(`k${i}`);
    expect(h.table.physicalBytes).toBeGreaterThan(before);
    expect(h.table.physicalBytes).toBeGreaterThanOrEqual(h.table.highWater * 24);
  });
});
