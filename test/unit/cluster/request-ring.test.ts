import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodePlace,
  placeLength,
  placeOffset,
  REQUEST_RING_BYTES,
  RequestRing,
} from '../../../src/cluster/request-ring.js';

describe('RequestRing', () => {
  it('hands out regions in order and wraps to the start once the oldest are released', () => {
    const ring = new RequestRing(100);
    expect(ring.take(40)).toBe(0);
    expect(ring.take(40)).toBe(40);
    expect(ring.take(30)).toBe(-1); // 20 left at the end, nothing released at the start
    ring.releaseOldest(); // [0, 40) is free again
    expect(ring.take(30)).toBe(0); // wraps
    expect(ring.take(10)).toBe(-1); // [30, 40) is free but would meet the tail exactly
    expect(ring.take(9)).toBe(30);
    ring.releaseOldest();
    ring.releaseOldest();
    ring.releaseOldest();
    expect(ring.inFlight).toBe(0);
    expect(ring.take(50)).toBe(0);
  });

  it('refuses a region larger than half the ring', () => {
    const ring = new RequestRing(100);
    expect(ring.take(51)).toBe(-1);
    expect(ring.take(50)).toBe(0);
  });

  it('never hands out overlapping regions (random takes and in-order releases)', () => {
    const op = fc.oneof(fc.integer({ min: 1, max: 60 }), fc.constant(0));
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const ring = new RequestRing(128);
        const live: [number, number][] = [];
        for (const length of ops) {
          if (length === 0) {
            if (live.length === 0) continue;
            ring.releaseOldest();
            live.shift();
            continue;
          }
          const at = ring.take(length);
          if (live.length === 0 && length <= 64) expect(at).toBe(0);
          if (at < 0) continue;
          expect(at + length).toBeLessThanOrEqual(128);
          for (const [s, e] of live) expect(at >= e || at + length <= s).toBe(true);
          live.push([at, at + length]);
          expect(ring.inFlight).toBe(live.length);
        }
      }),
    );
  });

  it('encodes a place as one exact number', () => {
    for (const [offset, length] of [
      [0, 4],
      [REQUEST_RING_BYTES / 2, REQUEST_RING_BYTES / 2],
      [REQUEST_RING_BYTES - 5, 5],
    ] as const) {
      const place = encodePlace(offset, length);
      expect([placeOffset(place), placeLength(place)]).toEqual([offset, length]);
    }
  });
});
