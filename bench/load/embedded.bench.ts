/**
 * `npm run bench:embedded`: the embedded engine under a closed-loop load (C concurrent callers,
 * Zipf 0.99 over 100k keys, 90% get, 100-byte values), next to the baselines it must be judged
 * against, all in one run: a plain Map and lru-cache@11 in the same loop, a direct CacheNode,
 * one `piscina.run()` per command, and a bare worker message round trip.
 *
 *   node dist/bench/load/embedded.bench.js [--duration ms] [--quick]
 */

import { Worker } from 'node:worker_threads';
import { LRUCache } from 'lru-cache';
import { Piscina } from 'piscina';
import { DistributedCache } from '../../src/cluster/distributed-cache.js';
import { CacheNode } from '../../src/storage/cache-node.js';
import type { BenchTable } from '../fixtures/bench-table.js';
import { buildWorkload, type Workload } from '../fixtures/zipf.js';
import { closedLoop, type LoadResult, type Operation } from './closed-loop.js';

interface Row {
  readonly name: string;
  readonly concurrency: number;
  readonly result: LoadResult;
}

const VALUE = Buffer.alloc(100, 0x61);

async function measure(
  rows: Row[],
  w: Workload,
  name: string,
  concurrencies: readonly number[],
  durationMs: number,
  operation: Operation,
): Promise<void> {
  for (const c of concurrencies) {
    const result = await closedLoop(w, c, durationMs, operation);
    rows.push({ name, concurrency: c, result });
    console.log(`${name.padEnd(34)} C=${String(c).padEnd(4)} ${fmt(result)}`);
  }
}

function fmt(r: LoadResult): string {
  return `${Math.round(r.opsPerSec).toLocaleString('en-US').padStart(11)} ops/s  p50 ${r.p50Us.toFixed(1)} µs  p99 ${r.p99Us.toFixed(1)} µs  p999 ${r.p999Us.toFixed(1)} µs`;
}

export async function benchEmbedded(durationMs = 1500, quick = false): Promise<BenchTable> {
  const w = buildWorkload({
    keyCount: 100_000,
    opCount: 1_000_000,
    zipfS: 0.99,
    getRatio: 0.9,
    valueBytes: 100,
    seed: 7,
  });
  const rows: Row[] = [];
  const both = [1, 256] as const;

  const map = new Map<string, Buffer>();
  for (const k of w.keys) map.set(k, VALUE);
  await measure(rows, w, 'Map (same closed loop)', both, durationMs, async (k, isGet) =>
    isGet ? map.get(w.keys[k]!) : map.set(w.keys[k]!, VALUE),
  );

  const lru = new LRUCache<string, Buffer>({ max: 200_000 });
  for (const k of w.keys) lru.set(k, VALUE);
  await measure(rows, w, 'lru-cache@11', both, durationMs, async (k, isGet) =>
    isGet ? lru.get(w.keys[k]!) : lru.set(w.keys[k]!, VALUE),
  );

  const node = new CacheNode(256 * 1024 * 1024, 'lru');
  for (const k of w.keys) node.set(k, VALUE);
  await measure(rows, w, 'CacheNode (main thread)', both, durationMs, async (k, isGet) =>
    isGet ? node.getValue(w.keys[k]!) : node.set(w.keys[k]!, VALUE),
  );

  // a bare worker message round trip: the floor for any worker-hosted cache at C=1
  const echo = new Worker(new URL('./echo.worker.js', import.meta.url));
  let pendingEcho: ((v: unknown) => void) | undefined;
  echo.on('message', (m) => pendingEcho?.(m));
  await measure(
    rows,
    w,
    'bare worker round trip',
    [1],
    durationMs,
    () =>
      new Promise((resolve) => {
        pendingEcho = resolve;
        echo.postMessage(1);
      }),
  );
  await echo.terminate();

  const pool = new Piscina({
    filename: new URL('./piscina-cache.worker.js', import.meta.url).href,
    minThreads: 2,
    maxThreads: 2,
    idleTimeout: Number.POSITIVE_INFINITY,
  });
  await measure(rows, w, 'piscina.run() per command', both, durationMs, (k, isGet) =>
    pool.run({ key: w.keys[k]!, isGet }),
  );
  await pool.destroy();

  const layouts: [number, number][] = quick
    ? [[2, 1]]
    : [
        [1, 1],
        [2, 1],
        [4, 1],
        [1, 1],
        [2, 2],
        [4, 2],
      ];
  for (const [servers, replicationFactor] of layouts) {
    if (replicationFactor > servers) continue;
    const cache = await DistributedCache.create({
      servers,
      replicationFactor,
      maxMemory: 256 * 1024 * 1024,
    });
    await cache.setMany(w.keys.map((k) => [k, VALUE]));
    await measure(
      rows,
      w,
      `DistributedCache ${servers} node${servers > 1 ? 's' : ''} R=${replicationFactor}`,
      both,
      durationMs,
      (k, isGet) => (isGet ? cache.get(w.keys[k]!) : cache.set(w.keys[k]!, VALUE)),
    );
    await cache.close();
  }

  const ref = (name: string, c: number): LoadResult | undefined =>
    rows.find((r) => r.name === name && r.concurrency === c)?.result;
  const target = ref('DistributedCache 2 nodes R=1', 256);
  const perRun = ref('piscina.run() per command', 256);
  const mapRow = ref('Map (same closed loop)', 256);
  const c1 = ref('DistributedCache 2 nodes R=1', 1);
  const bare = ref('bare worker round trip', 1);
  const notes: string[] = [];
  if (target && perRun && mapRow) {
    notes.push(
      `2 nodes R=1 at C=256: ${Math.round(target.opsPerSec).toLocaleString('en-US')} ops/s = ${(target.opsPerSec / perRun.opsPerSec).toFixed(1)}× one piscina.run() per command, ${(target.opsPerSec / mapRow.opsPerSec).toFixed(2)}× the same loop on a Map.`,
    );
  }
  if (c1 && bare) {
    notes.push(
      `C=1 p50: ${c1.p50Us.toFixed(1)} µs = ${(c1.p50Us / bare.p50Us).toFixed(2)}× a bare worker round trip (${bare.p50Us.toFixed(1)} µs).`,
    );
  }
  return {
    title: 'embedded closed loop: Zipf 0.99 over 100k keys, 90% get, 100 B values',
    rows: rows.map((r) => ({
      system: r.name,
      C: r.concurrency,
      'ops/s': Math.round(r.result.opsPerSec),
      'p50 µs': Number(r.result.p50Us.toFixed(1)),
      'p99 µs': Number(r.result.p99Us.toFixed(1)),
      'p999 µs': Number(r.result.p999Us.toFixed(1)),
    })),
    notes,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const durationAt = args.indexOf('--duration');
  const duration = durationAt >= 0 ? Number(args[durationAt + 1]) : 1500;
  const table = await benchEmbedded(duration, args.includes('--quick'));
  console.table(table.rows);
  for (const note of table.notes ?? []) console.log(note);
}
