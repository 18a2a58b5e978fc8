import { describe, expect, it } from 'vitest';
import { CounterSlots } from '../../../src/stats/counter-slots.js';
import { MAX_NODE_SLOTS, publishCounters } from '../../../src/stats/counters.js';

const stats = (hits: number, bytesStored: number) => ({
  hits,
  misses: 1,
  evictions: 2,
  expired: 3,
  bytesStored,
  entryCount: 4,
  physicalBytes: 5,
});

describe('CounterSlots', () => {
  it('hands out every slot once, lowest first, and takes them back', () => {
    const slots = new CounterSlots();
    const taken = Array.from({ length: MAX_NODE_SLOTS }, () => slots.take());
    expect(taken).toEqual(Array.from({ length: MAX_NODE_SLOTS }, (_, i) => i));
    expect(slots.take()).toBeUndefined();
    slots.give(7);
    expect(slots.take()).toBe(7);
  });

  it('totals live slots plus the request counters of retired ones, never their sizes', () => {
    const slots = new CounterSlots();
    const a = slots.take()!;
    const b = slots.take()!;
    publishCounters(slots.view, a, stats(10, 100));
    publishCounters(slots.view, b, stats(20, 200));
    expect(slots.total([a, b])).toMatchObject({ hits: 30, misses: 2, bytesStored: 300 });
    slots.retire(b); // b died: its hits stay counted, its bytes are gone with it
    expect(slots.read(b).hits).toBe(0);
    expect(slots.total([a])).toEqual({
      hits: 30,
      misses: 2,
      evictions: 4,
      expired: 6,
      bytesStored: 100,
      entryCount: 4,
      physicalBytes: 5,
    });
  });
});
