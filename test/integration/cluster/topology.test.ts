import { describe, expect, it } from 'vitest';
import { placement, startCluster, text } from '../../helpers/cluster.js';

const KEY_COUNT = 50_000;

function copiesOn(where: Map<string, string[]>, id: string): number {
  let n = 0;
  for (const ids of where.values()) if (ids.includes(id)) n++;
  return n;
}

describe('minimal movement: a 5th node joins 4 and leaves again (R=2, 50k keys)', () => {
  it('moves only the theoretical fraction each way and loses no key', async () => {
    const cache = await startCluster({ servers: 4, replicationFactor: 2 });
    try {
      const keys = Array.from({ length: KEY_COUNT }, (_, i) => `move:${i}`);
      await cache.setMany(keys.map((k) => [k, k]));
      const before = await placement(cache);

      await cache.addServer('node-4');
      const afterAdd = await placement(cache);
      // a key moves when the new node enters its replica set: R/(N+1) of them in theory
      const moved = keys.filter((k) => afterAdd.get(k)?.includes('node-4')).length;
      const theory = 2 / 5;
      expect(moved / KEY_COUNT).toBeGreaterThan(0.8 * theory);
      expect(moved / KEY_COUNT).toBeLessThan(1.25 * theory);
      // only those keys changed place, and each is on exactly 2 nodes
      for (const k of keys) {
        const now = afterAdd.get(k) ?? [];
        expect(now).toHaveLength(2);
        if (!now.includes('node-4'))
          expect([...now].sort()).toEqual([...(before.get(k) ?? [])].sort());
      }
      expect(copiesOn(afterAdd, 'node-4')).toBe(moved);

      await cache.removeServer('node-4');
      const afterRemove = await placement(cache);
      for (const k of keys)
        expect([...(afterRemove.get(k) ?? [])].sort()).toEqual([...(before.get(k) ?? [])].sort());
      expect((await cache.getMany(keys)).map(text)).toEqual(keys);
    } finally {
      await cache.close();
    }
  });

  it('data stays readable while a node joins and while one leaves', async () => {
    const cache = await startCluster({ servers: 3, replicationFactor: 2 });
    try {
      const keys = Array.from({ length: 10_000 }, (_, i) => `live:${i}`);
      await cache.setMany(keys.map((k) => [k, k]));
      let misses = 0;
      let stop = false;
      const reader = (async () => {
        let i = 0;
        while (!stop) {
          const batch = keys.slice(i, i + 200);
          i = (i + 200) % keys.length;
          const values = await cache.getMany(batch);
          misses += values.filter((v, j) => text(v) !== batch[j]).length;
        }
      })();
      await cache.addServer('node-3');
      await cache.removeServer('node-0');
      stop = true;
      await reader;
      expect(misses).toBe(0);
    } finally {
      await cache.close();
    }
  });
});
