import { describe, expect, it } from 'vitest';
import { NodeUnavailableError } from '../../../src/errors.js';
import { placement, startCluster, text } from '../../helpers/cluster.js';
import { loadUnderKill } from '../../helpers/drill.js';

const KEY_COUNT = 20_000;

describe('failover drill: 4 nodes, R=2, one node terminated under load', () => {
  it('loses no read, no acknowledged write, and restores two copies of every key', async () => {
    const cache = await startCluster({ servers: 4, replicationFactor: 2 });
    try {
      const keys = Array.from({ length: KEY_COUNT }, (_, i) => `drill:${i}`);
      const { acked, failedReads, failedWrites, killed } = await loadUnderKill(cache, keys, () =>
        cache.terminateServer('node-1'),
      );
      expect(killed).toBe(true);
      expect(failedReads).toBe(0);
      expect(failedWrites).toBe(0);

      await cache.rebalance();
      expect(cache.servers().every((s) => s.isAlive)).toBe(true);
      const values = await cache.getMany(keys);
      const wrong = keys.filter((k, i) => text(values[i]) !== acked.get(k));
      expect(wrong).toEqual([]);
      // every key on exactly its two replicas, read from the nodes themselves
      const where = await placement(cache);
      const misplaced = keys.filter((k) => {
        const ids = where.get(k) ?? [];
        const expected = cache.serversForKey(k).map((s) => s.id);
        return ids.length !== 2 || expected.some((id) => !ids.includes(id));
      });
      expect(misplaced).toEqual([]);
    } finally {
      await cache.close();
    }
  });
});

describe('worker deaths', () => {
  it.each([
    ['an uncaught error', 'throw'],
    ['process.exit', 'exit'],
    ['running out of heap', 'oom'],
  ] as const)(
    '%s in a worker marks the node dead at once; it comes back refilled',
    async (_name, how) => {
      const cache = await startCluster({ servers: 3, replicationFactor: 2 });
      try {
        const keys = Array.from({ length: 3_000 }, (_, i) => `crash:${i}`);
        await cache.setMany(keys.map((k) => [k, k]));
        const link = cache.unsafeInternals().link('node-2')!;
        const before = (await cache.inspectNode('node-2')).size;
        const node = link.node;
        const died = new Promise<void>((resolve) => {
          const timer = setInterval(() => {
            if (node.isDead) {
              clearInterval(timer);
              resolve();
            }
          }, 5);
        });
        // the reply may or may not beat the thread's death; either way the node goes down
        await link.node.control({ type: 'crash', how }).catch(() => {});
        await died;
        // reads fail over while the node is down or refilling
        expect((await cache.getMany(keys)).map(text)).toEqual(keys);
        await cache.rebalance();
        expect(cache.servers().find((s) => s.id === 'node-2')?.isAlive).toBe(true);
        expect((await cache.inspectNode('node-2')).size).toBe(before);
      } finally {
        await cache.close();
      }
    },
  );

  it('with R=1 a dead node loses its keys and requests for them fail clearly, never hang', async () => {
    const cache = await startCluster({ servers: 2, replicationFactor: 1 });
    try {
      const keys = Array.from({ length: 200 }, (_, i) => `r1:${i}`);
      await cache.setMany(keys.map((k) => [k, k]));
      const owned = [...(await cache.inspectNode('node-0')).keys()];
      expect(owned.length).toBeGreaterThan(0);
      const pending = owned.map((k) =>
        cache.get(k).then(
          (v) => (v === undefined ? 'miss' : 'hit'),
          (e: unknown) => (e instanceof NodeUnavailableError ? 'unavailable' : 'other'),
        ),
      );
      await cache.terminateServer('node-0');
      const outcomes = await Promise.all(pending);
      expect(outcomes.every((o) => o === 'hit' || o === 'unavailable')).toBe(true);
      await cache.rebalance();
      // restarted empty: its keys are gone, the node serves again
      expect(await cache.get(owned[0]!)).toBeUndefined();
      await cache.set(owned[0]!, 'back');
      expect(text(await cache.get(owned[0]!))).toBe('back');
    } finally {
      await cache.close();
    }
  });
});
