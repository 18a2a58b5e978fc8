/**
 * Child process of the memory benchmark: fills one store with N items (12-byte keys, V-byte
 * values, V = 100 unless given) and prints what the process grew by, per item, as JSON. Run
 * with --expose-gc so that garbage is collected before each reading. A process per store keeps
 * the readings apart.
 *
 *   node --expose-gc memory-probe.js <store> <items> [valueBytes] [cluster loop ms, 3000]
 *
 * `cluster-marginal` fills the cluster with three rounds of <items> and prints the growth of
 * each round per item: the later rounds show what one more item costs, without the one-time
 * growth (V8 young generations, first slab pages, reserved rows) that the first round pays.
 */

import { LRUCache } from 'lru-cache';
import { DistributedCache } from '../../src/cluster/distributed-cache.js';
import { CacheNode } from '../../src/storage/cache-node.js';
import { buildWorkload } from '../fixtures/zipf.js';
import { closedLoop } from '../load/closed-loop.js';

const kind = process.argv[2];
const count = Number(process.argv[3] ?? 1_000_000);
const VALUE = Buffer.alloc(Number(process.argv[4] ?? 100), 0x61);
/** The cluster's closed loop after the fill; 0 skips it (the suite only wants the memory). */
const loopMs = Number(process.argv[5] ?? 3000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

function key(i: number): string {
  return `key:${String(i).padStart(8, '0')}`;
}

/**
 * Two worker nodes (R=1) filled through the public API in batches of 10k sets; the worker
 * threads live in this process, so its RSS covers them.
 */
async function startCluster(items = count): Promise<DistributedCache> {
  return DistributedCache.create({
    servers: 2,
    replicationFactor: 1,
    maxMemory: Math.ceil(items * (12 + VALUE.length) * 1.2),
  });
}

async function fillCluster(cache: DistributedCache, from = 0): Promise<DistributedCache> {
  for (let start = from; start < from + count; start += 10_000) {
    const sets: Promise<boolean>[] = [];
    for (let i = start; i < Math.min(from + count, start + 10_000); i++)
      sets.push(cache.set(key(i), VALUE));
    await Promise.all(sets);
  }
  return cache;
}

/** RSS growth per item of each of three fill rounds of `count` items. */
async function marginal(): Promise<void> {
  const cache = await startCluster(3 * count);
  const perItem: number[] = [];
  for (let round = 0; round < 3; round++) {
    gc!();
    const rss = process.memoryUsage().rss;
    await fillCluster(cache, round * count);
    gc!();
    gc!();
    perItem.push((process.memoryUsage().rss - rss) / count);
  }
  await cache.close();
  process.stdout.write(`${JSON.stringify({ kind, count, rssPerItemByRound: perItem })}\n`);
  process.exit(0);
}

if (kind === 'cluster-marginal') await marginal();

function fill(): unknown {
  switch (kind) {
    case 'cachenode': {
      const node = new CacheNode(count * (VALUE.length + 100), 'lru');
      for (let i = 0; i < count; i++) node.set(key(i), VALUE);
      return node;
    }
    case 'cachenode-bytes': {
      // as a worker fills it: keys arrive as bytes, no string per key
      const node = new CacheNode(count * (VALUE.length + 100), 'lru');
      const keyBytes = Buffer.alloc(12);
      keyBytes.write('key:', 0, 'latin1');
      for (let i = 0; i < count; i++) {
        for (let d = 11, n = i; d >= 4; d--, n = Math.floor(n / 10)) keyBytes[d] = 0x30 + (n % 10);
        node.storeBytes('set', keyBytes, 0, 12, VALUE, 0, VALUE.length, 0, 0);
      }
      return node;
    }
    case 'map': {
      const map = new Map<string, Buffer>();
      for (let i = 0; i < count; i++) map.set(key(i), Buffer.from(VALUE));
      return map;
    }
    case 'lru-cache': {
      const cache = new LRUCache<string, Buffer>({ max: count });
      for (let i = 0; i < count; i++) cache.set(key(i), Buffer.from(VALUE));
      return cache;
    }
    default:
      throw new Error(`unknown store ${kind}`);
  }
}

// The cluster's threads start before the first reading, as memcached's process is started
// before its own: both rows count what storing the items added, not a process's fixed cost.
const cluster = kind === 'cluster' ? await startCluster() : undefined;
gc();
const before = process.memoryUsage();
const store = cluster ? await fillCluster(cluster) : fill();
gc();
gc();
const after = process.memoryUsage();
let latency: Record<string, number> = {};
if (store instanceof DistributedCache && loopMs > 0) {
  // a closed loop over the stored keys: is p999 dominated by GC pauses with this many items?
  const w = buildWorkload({
    keyCount: count,
    opCount: 1_000_000,
    zipfS: 0.99,
    getRatio: 0.9,
    valueBytes: VALUE.length,
    seed: 3,
  });
  const result = await closedLoop(w, { concurrency: 256, durationMs: loopMs }, (k, isGet) =>
    isGet ? store.get(key(k)) : store.set(key(k), VALUE),
  );
  latency = {
    opsPerSec: Math.round(result.opsPerSec),
    p50Us: result.p50Us,
    p99Us: result.p99Us,
    p999Us: result.p999Us,
  };
}
if (store instanceof DistributedCache) await store.close();
process.stdout.write(
  `${JSON.stringify({
    kind,
    count,
    rssPerItem: (after.rss - before.rss) / count,
    // V8's own heap growth (young generation sized up by allocation churn), not per item
    heapTotalPerItem: (after.heapTotal - before.heapTotal) / count,
    // a JS heap object per item shows as heap bytes per item well above zero
    heapPerItem: (after.heapUsed - before.heapUsed) / count,
    // bytes the store's typed arrays hold (for CacheNode: slabs, rows, index)
    arrayBufferPerItem: (after.arrayBuffers - before.arrayBuffers) / count,
    ...latency,
  })}\n`,
);
