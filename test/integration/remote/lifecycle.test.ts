import { afterAll, describe, expect, it } from 'vitest';
import { DistributedCache } from '../../../src/cluster/distributed-cache.js';
import { InvalidArgumentError, NodeUnavailableError } from '../../../src/errors.js';
import { text } from '../../helpers/cluster.js';
import { within } from '../../helpers/drill.js';
import { freePort, waitUntil } from '../../helpers/net.js';
import { type MemcachedNode, startMemcachedNodes, stopAll } from '../../helpers/remote.js';

describe('remote nodes: joining, stats, terminate, removal', () => {
  let nodes: MemcachedNode[] = [];
  const caches: DistributedCache[] = [];
  afterAll(async () => {
    for (const cache of caches) await cache.close();
    await stopAll(nodes);
  });

  it('an unreachable or malformed address is a clear error, and leaves no trace', async () => {
    const cache = new DistributedCache({ remote: { connectTimeoutMs: 300 } });
    caches.push(cache);
    const port = await freePort();
    await expect(cache.addServer('gone', `127.0.0.1:${port}`)).rejects.toBeInstanceOf(
      NodeUnavailableError,
    );
    await expect(cache.addServer('bad', 'not an address')).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(cache.addServer('bad', 'host:99999')).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(cache.servers()).toEqual([]);
  });

  it('counts hits and misses in cache.stats(); a terminated node comes back refilled', async () => {
    nodes = await startMemcachedNodes(3);
    const cache = new DistributedCache({ replicationFactor: 2 });
    caches.push(cache);
    for (const [i, node] of nodes.entries()) await cache.addServer(`mc-${i}`, node.addr);
    const keys = Array.from({ length: 2_000 }, (_, i) => `life:${i}`);
    await cache.setMany(keys.map((k) => [k, k]));

    const before = cache.stats();
    expect((await cache.getMany(keys)).map(text)).toEqual(keys);
    await cache.get('life:none');
    const after = cache.stats();
    // each logical read counts once, on the replica that served it
    expect(after.hits - before.hits).toBe(keys.length);
    expect(after.misses - before.misses).toBe(1);
    await waitUntil(() => cache.stats().entryCount === 2 * keys.length, 'entry counts polled');

    const held = (await cache.inspectNode('mc-2')).size;
    await cache.terminateServer('mc-2');
    expect(cache.servers().find((s) => s.id === 'mc-2')?.isAlive).toBe(false);
    expect((await cache.getMany(keys)).map(text)).toEqual(keys);
    await within(cache.rebalance(), 30_000, 'mc-2 back');
    expect(cache.servers().every((s) => s.isAlive)).toBe(true);
    expect((await cache.inspectNode('mc-2')).size).toBe(held);
    // counters of the incarnation that died are kept in the totals
    expect(cache.stats().hits).toBeGreaterThanOrEqual(after.hits);
    await cache.close();
  });

  it('a remote node whose server is down can be removed, and close does not wait for it', async () => {
    const cache = new DistributedCache({ replicationFactor: 2 });
    caches.push(cache);
    for (const [i, node] of nodes.entries()) await cache.addServer(`mc-${i}`, node.addr);
    const keys = Array.from({ length: 2_000 }, (_, i) => `rm:${i}`);
    await cache.setMany(keys.map((k) => [k, k]));
    await nodes[0]!.kill();
    // the stats heartbeat (or the next request) finds it dead
    await within(
      waitUntil(() => cache.servers().find((s) => s.id === 'mc-0')?.isAlive === false, 'mc-0 dead'),
      15_000,
      'mc-0 found dead',
    );
    await within(cache.removeServer('mc-0'), 15_000, 'removal of a dead node');
    expect(cache.servers().map((s) => s.id)).toEqual(['mc-1', 'mc-2']);
    expect((await cache.getMany(keys)).map(text)).toEqual(keys);
    await within(cache.close(), 10_000, 'close');
  });
});
