import {
  DistributedCache,
  type DistributedCacheConfig,
} from '../../src/cluster/distributed-cache.js';

/** Text of a value, or undefined. */
export function text(value: Uint8Array | undefined): string | undefined {
  return value === undefined ? undefined : Buffer.from(value).toString('utf8');
}

/** Starts a cluster and registers nothing global: callers close it in afterAll/finally. */
export function startCluster(config: DistributedCacheConfig): Promise<DistributedCache> {
  return DistributedCache.create({ sweepIntervalMs: 50, ...config });
}

/** key → ids of the alive nodes holding it, read directly from every node. */
export async function placement(cache: DistributedCache): Promise<Map<string, string[]>> {
  const where = new Map<string, string[]>();
  for (const server of cache.servers()) {
    if (!server.isAlive) continue;
    for (const key of (await cache.inspectNode(server.id)).keys()) {
      const ids = where.get(key) ?? [];
      ids.push(server.id);
      where.set(key, ids);
    }
  }
  return where;
}

/** Every value every alive node holds for `key`, as text. */
export async function replicaValues(
  cache: DistributedCache,
  keys: readonly string[],
): Promise<Map<string, string[]>> {
  const values = new Map<string, string[]>(keys.map((k) => [k, []]));
  for (const server of cache.servers()) {
    if (!server.isAlive) continue;
    const entries = await cache.inspectNode(server.id);
    for (const key of keys) {
      const v = entries.get(key);
      if (v !== undefined) values.get(key)!.push(Buffer.from(v).toString('utf8'));
    }
  }
  return values;
}
