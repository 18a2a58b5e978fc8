/** A shardcache server in the test process: a real cluster (workers from dist/) behind a port. */

import {
  DistributedCache,
  type DistributedCacheConfig,
} from '../../src/cluster/distributed-cache.js';
import { CacheServer, type CacheServerOptions } from '../../src/server/server.js';

export interface RunningServer {
  readonly server: CacheServer;
  readonly cache: DistributedCache;
  readonly port: number;
  /** Closes the server, then the cache and its worker threads. */
  stop(): Promise<void>;
}

/** Starts a cluster (2 nodes, replication 2 unless told) and a server on a free port. */
export async function startShardcache(
  config: DistributedCacheConfig = {},
  options: CacheServerOptions = {},
): Promise<RunningServer> {
  const cache = await DistributedCache.create({ servers: 2, replicationFactor: 2, ...config });
  const server = new CacheServer(cache, { ...options, ownsCache: true });
  try {
    const { port } = await server.listen(0, '127.0.0.1');
    return { server, cache, port, stop: () => server.close() };
  } catch (err) {
    await cache.close();
    throw err;
  }
}
