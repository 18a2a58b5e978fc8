import { afterAll, describe, expect, it } from 'vitest';
import { DistributedCache } from '../../../src/cluster/distributed-cache.js';
import { placement, text } from '../../helpers/cluster.js';
import { serverValues } from '../../helpers/drill.js';
import {
  type MemcachedNode,
  rawExchange,
  startMemcachedNodes,
  stopAll,
} from '../../helpers/remote.js';

const KEY_COUNT = 20_000;

describe('minimal movement with remote nodes: a 4th memcached joins 3 (R=2)', () => {
  let nodes: MemcachedNode[] = [];
  let cache: DistributedCache | undefined;
  afterAll(async () => {
    await cache?.close();
    await stopAll(nodes);
  });

  it('moves only the theoretical fraction of keys, loses none, and moves them back on removal', async () => {
    nodes = await startMemcachedNodes(4);
    const [a, b, c, d] = nodes as [MemcachedNode, MemcachedNode, MemcachedNode, MemcachedNode];
    // a stale item on the server about to join: joining empties it, so it is never served
    await rawExchange(d.port, 'set move:0 0 0 5\r\nstale\r\n', 'STORED\r\n');
    cache = new DistributedCache({ replicationFactor: 2 });
    await cache.addServer('mc-a', a.addr);
    await cache.addServer('mc-b', b.addr);
    await cache.addServer('mc-c', c.addr);
    const keys = Array.from({ length: KEY_COUNT }, (_, i) => `move:${i}`);
    await cache.setMany(keys.map((k) => [k, k]));
    const before = await placement(cache);

    await cache.addServer('mc-d', d.addr);
    const afterAdd = await placement(cache);
    // a key moves when the new node enters its replica set: R/(N+1) of them in theory
    const moved = keys.filter((k) => afterAdd.get(k)?.includes('mc-d'));
    const theory = 2 / 4;
    expect(moved.length / KEY_COUNT).toBeGreaterThan(0.8 * theory);
    expect(moved.length / KEY_COUNT).toBeLessThan(1.25 * theory);
    const misplaced = keys.filter((k) => {
      const now = afterAdd.get(k) ?? [];
      if (now.length !== 2) return true;
      if (now.includes('mc-d')) return false;
      return [...now].sort().join() !== [...(before.get(k) ?? [])].sort().join();
    });
    expect(misplaced).toEqual([]);
    // the new server holds exactly the moved keys, with their values, read from it directly
    const held = await serverValues(d.port, keys);
    expect(held.size).toBe(moved.length);
    expect(moved.filter((k) => held.get(k) !== k)).toEqual([]);
    expect((await cache.getMany(keys)).map(text)).toEqual(keys);

    await cache.removeServer('mc-d');
    const afterRemove = await placement(cache);
    const changed = keys.filter(
      (k) =>
        [...(afterRemove.get(k) ?? [])].sort().join() !== [...(before.get(k) ?? [])].sort().join(),
    );
    expect(changed).toEqual([]);
    expect((await cache.getMany(keys)).map(text)).toEqual(keys);
  });
});
