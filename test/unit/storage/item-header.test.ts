import { describe, expect, it } from 'vitest';
import {
  entryOf,
  hitItem,
  MAX_ACCESS_COUNT,
  NONE,
  stampItem,
} from '../../../src/storage/item-header.js';
import { SlotTable } from '../../../src/storage/slot-table.js';

describe('item header', () => {
  it('counts accesses next to the key length, saturating at 2^24 - 1', () => {
    const t = new SlotTable(16);
    const item = t.allocate(250, 0);
    t.setExpiresAtMs(item, 0);
    expect(hitItem(t.slab, item, 5)).toBe(t.slotOf(item));
    expect(hitItem(t.slab, item, 9)).toBe(t.slotOf(item));
    expect([t.accessCount(item), t.lastAccessedMs(item), t.keyLength(item)]).toEqual([2, 9, 250]);
    for (let i = 2; i < MAX_ACCESS_COUNT + 3; i++) hitItem(t.slab, item, 10);
    expect([t.accessCount(item), t.keyLength(item)]).toEqual([MAX_ACCESS_COUNT, 250]);
    stampItem(t.slab, item, 0, 1, 0, 20); // stored again: no hits yet
    expect([t.accessCount(item), t.keyLength(item)]).toEqual([0, 250]);
  });

  it('counts a hit only on an item that has not expired, and then leaves it as it is', () => {
    const t = new SlotTable(16);
    const item = t.allocate(3, 0);
    stampItem(t.slab, item, 0, 1, 100, 1);
    expect(hitItem(t.slab, item, 99)).toBe(t.slotOf(item));
    expect(hitItem(t.slab, item, 100)).toBe(NONE);
    expect(hitItem(t.slab, item, 250)).toBe(NONE);
    expect([t.accessCount(item), t.lastAccessedMs(item)]).toEqual([1, 99]);
  });

  it('makes an entry from the header around a given value', () => {
    const t = new SlotTable(16);
    const item = t.allocate(3, 5);
    stampItem(t.slab, item, 0xfffffffe, 2 ** 53 - 1, 0, 1_700_000_001_500);
    hitItem(t.slab, item, 1_700_000_002_000);
    const value = Uint8Array.of(1, 2, 3, 4, 5);
    expect(entryOf(t.slab, item, value)).toEqual({
      value,
      flags: 0xfffffffe,
      cas: 2n ** 53n - 1n,
      createdAtMs: 1_700_000_001_000,
      expiresAtMs: undefined,
      lastAccessedMs: 1_700_000_002_000,
      accessCount: 1,
    });
    stampItem(t.slab, item, 0, 7, 1_700_000_009_000.5, 1_700_000_003_000);
    expect(entryOf(t.slab, item, value)).toMatchObject({
      expiresAtMs: 1_700_000_009_000.5,
      accessCount: 0,
    });
  });
});
