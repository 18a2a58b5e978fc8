import { afterAll, describe, it } from 'vitest';
import type { DistributedCache } from '../../../src/cluster/distributed-cache.js';
import { startCluster } from '../../helpers/cluster.js';
import { killAndReviveDrill } from '../../helpers/drill.js';
import { type MemcachedNode, startMemcachedNodes, stopAll } from '../../helpers/remote.js';

describe('a mixed ring: two worker nodes and two stock memcached, R=2', () => {
  let nodes: MemcachedNode[] = [];
  let cache: DistributedCache | undefined;
  afterAll(async () => {
    await cache?.close();
    await stopAll(nodes);
  });

  it('SIGKILL a memcached under load: no failed read, no lost write; it comes back refilled', async () => {
    nodes = await startMemcachedNodes(2);
    cache = await startCluster({ servers: 2, replicationFactor: 2 });
    for (const [i, node] of nodes.entries()) await cache.addServer(`mc-${i}`, node.addr);
    const keys = Array.from({ length: 10_000 }, (_, i) => `mix:${i}`);
    await killAndReviveDrill({ cache, keys, victim: nodes[0]!, victimId: 'mc-0' });
  });
});
