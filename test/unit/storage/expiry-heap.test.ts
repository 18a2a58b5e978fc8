import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExpiryHeap } from '../../../src/storage/expiry-heap.js';
import { NONE, SlotTable } from '../../../src/storage/slot-table.js';

/** A heap over a table's slots, with the slots' real expiries in `expiries` (as items hold them). */
interface Harness {
  readonly table: SlotTable;
  readonly heap: ExpiryHeap;
  readonly expiries: number[];
}

function setup(capacity = 64, allocate = true): Harness {
  const table = new SlotTable(capacity);
  if (allocate) for (let i = 0; i < table.capacity; i++) table.allocate();
  const expiries: number[] = [];
  const heap = new ExpiryHeap(table, (slot) => expiries[slot]!);
  table.onGrow = (c) => heap.grow(c);
  return { table, heap, expiries };
}

/** Gives `slot` a new expiry, the way the store does: the item first, then the heap. */
function put(h: Harness, slot: number, expiresAtMs: number): void {
  h.expiries[slot] = expiresAtMs;
  h.heap.upsert(slot, expiresAtMs);
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
    const h = setup();
    const { heap } = h;
    expect(heap.size).toBe(0);
    expect(heap.peek()).toBe(NONE);
    expect(heap.has(3)).toBe(false);
    expect(heap.physicalBytes).toBe(0);
    heap.remove(3); // removing from an empty heap is a no-op
    expect(heap.size).toBe(0);
  });

  it('peeks the soonest expiry', () => {
    const h = setup();
    const { heap } = h;
    put(h, 5, 500);
    put(h, 1, 100);
    put(h, 9, 900);
    put(h, 3, 300);
    expect(heap.size).toBe(4);
    expect(heap.peek()).toBe(1);
    expect(heap.has(9)).toBe(true);
    expect(heap.has(2)).toBe(false);
    expect(heap.physicalBytes).toBeGreaterThan(0);
  });

  it('repositions a slot whose expiry changed, both ways', () => {
    const h = setup();
    const { heap } = h;
    put(h, 0, 100);
    put(h, 1, 200);
    put(h, 2, 300);
    put(h, 0, 400); // later: sinks
    expect(heap.peek()).toBe(1);
    expect(heap.size).toBe(3);
    put(h, 2, 50); // sooner: rises
    expect(heap.peek()).toBe(2);
    expect(drain(heap)).toEqual([50, 200, 400]);
  });

  it('removes from the top, the middle and the end', () => {
    const h = setup();
    const { heap } = h;
    for (let slot = 0; slot < 10; slot++) put(h, slot, 1000 - slot * 10);
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
    const h = setup();
    const { heap } = h;
    put(h, 1, 10);
    put(h, 2, 20);
    heap.clear();
    expect(heap.size).toBe(0);
    expect(heap.peek()).toBe(NONE);
    expect(heap.has(1)).toBe(false);
    put(h, 2, 5);
    expect(heap.peek()).toBe(2);
    expect(heap.size).toBe(1);
  });

  it('keeps positions across table growth', () => {
    const h = setup(16, false);
    const { table, heap } = h;
    const expected: number[] = [];
    for (let i = 0; i < 100; i++) {
      const slot = table.slotOf(table.allocate());
      const expiresAtMs = ((i * 7919) % 100) + 1;
      put(h, slot, expiresAtMs);
      expected.push(expiresAtMs);
    }
    expect(table.capacity).toBeGreaterThan(16);
    for (let slot = 0; slot < 100; slot += 3) heap.remove(slot);
    const remaining = expected.filter((_, slot) => slot % 3 !== 0).sort((a, b) => a - b);
    expect(drain(heap)).toEqual(remaining);
  });

  it('takes a later expiry without moving the slot, and settles it when it reaches the top', () => {
    const h = setup();
    const { heap } = h;
    put(h, 1, 100);
    put(h, 2, 200);
    put(h, 3, 300);
    put(h, 1, 250); // pushed out: the cell keeps 100 until slot 1 is on top
    expect(heap.peekExpiresAtMs()).toBe(200);
    expect(heap.peek()).toBe(2);
    put(h, 3, 50); // pulled in: moves up at once
    expect(heap.peek()).toBe(3);
    expect(drain(heap)).toEqual([50, 200, 250]);
  });

  it('settles a chain of stale tops', () => {
    const h = setup();
    for (let slot = 0; slot < 20; slot++) put(h, slot, slot + 1);
    for (let slot = 0; slot < 19; slot++) put(h, slot, 1000 + slot); // all but the last pushed out
    expect(h.heap.peek()).toBe(19);
    expect(drain(h.heap)).toEqual([20, ...Array.from({ length: 19 }, (_, i) => 1000 + i)]);
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
        const h = setup(40);
        const { heap } = h;
        const model = new Map<number, number>();
        for (const { slot, expiresAtMs, isRemove } of ops) {
          if (isRemove) {
            heap.remove(slot);
            model.delete(slot);
          } else {
            put(h, slot, expiresAtMs);
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
