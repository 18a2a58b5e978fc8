import { afterAll, describe, it } from 'vitest';
import { DistributedCache } from '../../../src/cluster/distributed-cache.js';
import { killAndReviveDrill } from '../../helpers/drill.js';
import { type MemcachedNode, startMemcachedNodes, stopAll } from '../../helpers/remote.js';

describe('three stock memcached processes as ring nodes, R=2', () => {
  let nodes: MemcachedNode[] = [];
  let cache: DistributedCache | undefined;
  afterAll(async () => {
    await cache?.close();
    await stopAll(nodes);
  });

  it('SIGKILL one under load: no failed read, no lost write; restarted, it is refilled and serves', async () => {
    nodes = await startMemcachedNodes(3);
    cache = new DistributedCache({ replicationFactor: 2 });
    for (const [i, node] of nodes.entries()) await cache.addServer(`mc-${i}`, node.addr);
    const keys = Array.from({ length: 10_000 }, (_, i) => `mc:${i}`);
    await killAndReviveDrill({ cache, keys, victim: nodes[1]!, victimId: 'mc-1' });
  });
});
