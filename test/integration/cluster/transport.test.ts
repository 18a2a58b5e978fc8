import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DistributedCache } from '../../../src/cluster/distributed-cache.js';
import { startCluster } from '../../helpers/cluster.js';

/** A value whose every byte depends on its key, so a mixed-up batch cannot go unnoticed. */
function valueFor(i: number, bytes: number): Buffer {
  const value = Buffer.alloc(bytes);
  for (let b = 0; b < bytes; b++) value[b] = (i * 31 + b * 7) & 0xff;
  return value;
}

describe('request transport: shared ring, and transfer when a batch does not fit', () => {
  let cache: DistributedCache;
  beforeAll(async () => {
    cache = await startCluster({ servers: 2, replicationFactor: 2, maxMemory: 128 << 20 });
  });
  afterAll(async () => {
    await cache.close();
  });

  it('big batches issued at once wrap the ring and overflow to transfers, all in order', async () => {
    // 48 × 700 KB in one tick: ~1 MB batches, more than the 4 MiB ring holds in flight
    const big = Array.from({ length: 48 }, (_, i) => valueFor(i, 700 * 1024));
    expect(await Promise.all(big.map((v, i) => cache.set(`big:${i}`, v)))).toEqual(
      big.map(() => true),
    );
    const read = await Promise.all(big.map((_, i) => cache.get(`big:${i}`)));
    read.forEach((value, i) => {
      expect(Buffer.from(value!).equals(big[i]!)).toBe(true);
    });
  });

  it('many small batches keep the ring turning: every value comes back to its own caller', async () => {
    for (let round = 0; round < 20; round++) {
      const keys = Array.from({ length: 500 }, (_, i) => `small:${round}:${i}`);
      await Promise.all(keys.map((k, i) => cache.set(k, valueFor(i + round, 300))));
      const values = await Promise.all(keys.map((k) => cache.get(k)));
      values.forEach((value, i) => {
        expect(Buffer.from(value!).equals(valueFor(i + round, 300))).toBe(true);
      });
    }
  });
});
