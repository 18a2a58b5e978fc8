import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExpiryHeap } from '../../../src/storage/expiry-heap.js';
import { NONE, SlotTable } from '../../../src/storage/slot-table.js';

function setup(capacity = 64): { table: SlotTable; heap: ExpiryHeap } {
  const table = new SlotTable(capacity);
  for (let i = 0; i < table.capacity; i++) table.allocate();
  const heap = new ExpiryHeap(table);
  table.onGrow = (c) => heap.grow(c);
  return { table, heap };
}

function put(heap: ExpiryHeap, slot: number, expiresAtMs: number): void {
  heap.upsert(slot, expiresAtMs);
}

/** Pops every slot, soonest first. */
function drain(heap: ExpiryHeap): number[] {
  const out: number[] = [];
  for (let slot = heap.peek(); slot !== NONE; slot = heap.peek()) {
    out.push(heap.peekExpiresAtMs());
    heap.remove(slot);
  }
  return out;
}

describe('ExpiryHeap', () => {
  it('is empty at first and holds no memory until the first TTL', () => {
    const { heap } = setup();
    expect(heap.size).toBe(0);
    expect(heap.peek()).toBe(NONE);
    expect(heap.has(3)).toBe(false);
    expect(heap.physicalBytes).toBe(0);
    heap.remove(3); // removing from an empty heap is a no-op
    expect(heap.size).toBe(0);
  });

  it('peeks the soonest expiry', () => {
    const { heap } = setup();
    put(heap, 5, 500);
    put(heap, 1, 100);
    put(heap, 9, 900);
    put(heap, 3, 300);
    expect(heap.size).toBe(4);
    expect(heap.peek()).toBe(1);
    expect(heap.has(9)).toBe(true);
    expect(heap.has(2)).toBe(false);
    expect(heap.physicalBytes).toBeGreaterThan(0);
  });

  it('repositions a slot whose expiry changed, both ways', () => {
    const { heap } = setup();
    put(heap, 0, 100);
    put(heap, 1, 200);
    put(heap, 2, 300);
    put(heap, 0, 400); // later: sinks
    expect(heap.peek()).toBe(1);
    expect(heap.size).toBe(3);
    put(heap, 2, 50); // sooner: rises
    expect(heap.peek()).toBe(2);
    expect(drain(heap)).toEqual([50, 200, 400]);
  });

  it('removes from the top, the middle and the end', () => {
    const { heap } = setup();
    for (let slot = 0; slot < 10; slot++) put(heap, slot, 1000 - slot * 10);
    heap.remove(9); // the top: 1000 - 90 = 910 is the soonest
    heap.remove(4);
    heap.remove(0); // the largest, a leaf
    expect(heap.has(4)).toBe(false);
    expect(heap.size).toBe(7);
    heap.remove(4); // twice: no-op
    expect(heap.size).toBe(7);
    expect(drain(heap)).toEqual([920, 930, 940, 950, 970, 980, 990]);
  });

  it('clear empties it, and it works again after', () => {
    const { heap } = setup();
    put(heap, 1, 10);
    put(heap, 2, 20);
    heap.clear();
    expect(heap.size).toBe(0);
    expect(heap.peek()).toBe(NONE);
    expect(heap.has(1)).toBe(false);
    put(heap, 2, 5);
    expect(heap.peek()).toBe(2);
    expect(heap.size).toBe(1);
  });

  it('keeps positions across table growth', () => {
    const table = new SlotTable(16);
    const heap = new ExpiryHeap(table);
    table.onGrow = (c) => heap.grow(c);
    const expected: number[] = [];
    for (let i = 0; i < 100; i++) {
      const slot = table.slotOf(table.allocate());
      const expiresAtMs = ((i * 7919) % 100) + 1;
      put(heap, slot, expiresAtMs);
      expected.push(expiresAtMs);
    }
    expect(table.capacity).toBeGreaterThan(16);
    for (let slot = 0; slot < 100; slot += 3) heap.remove(slot);
    const remaining = expected.filter((_, slot) => slot % 3 !== 0).sort((a, b) => a - b);
    expect(drain(heap)).toEqual(remaining);
  });

  it('matches a sorted model under random upserts and removes', () => {
    const op = fc.record({
      slot: fc.integer({ min: 0, max: 39 }),
      // a small range of expiries, so that ties happen
      expiresAtMs: fc.integer({ min: 1, max: 30 }),
      isRemove: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), (ops) => {
        const { heap } = setup(40);
        const model = new Map<number, number>();
        for (const { slot, expiresAtMs, isRemove } of ops) {
          if (isRemove) {
            heap.remove(slot);
            model.delete(slot);
          } else {
            put(heap, slot, expiresAtMs);
            model.set(slot, expiresAtMs);
          }
          expect(heap.size).toBe(model.size);
          const top = heap.peek();
          if (model.size === 0) {
            expect(top).toBe(NONE);
          } else {
            expect(model.get(top)).toBe(Math.min(...model.values()));
          }
          for (let s = 0; s < 40; s++) expect(heap.has(s)).toBe(model.has(s));
        }
        expect(drain(heap)).toEqual([...model.values()].sort((a, b) => a - b));
      }),
      { numRuns: 300 },
    );
  });
});
