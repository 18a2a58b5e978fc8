/**
 * The embedded engine under a closed-loop load (C callers × D in flight over a seeded trace),
 * next to the baselines it must be judged against, all in one run and one loop:
 *
 *   Map (same loop)             the loop's own ceiling: no cache logic at all
 *   lru-cache@11                the in-process cache people use (baseline for ratios)
 *   CacheNode (direct)          our storage without threads
 *   worker round trip           a bare postMessage echo: the floor for any worker-hosted cache
 *   piscina.run() per command   one CacheNode behind piscina, no batching (baseline for ratios)
 *   DistributedCache N nodes R  the system under test, for every nodes × replication layout
 *
 * Every store is filled with the whole key space before timing and checked to answer a get with
 * the value it was given. Run it with `npm run bench -- --only embedded`.
 */

import { Worker } from 'node:worker_threads';
import { LRUCache } from 'lru-cache';
import { Piscina } from 'piscina';
import { DistributedCache } from '../../src/cluster/distributed-cache.js';
import { CacheNode } from '../../src/storage/cache-node.js';
import { builtFile } from '../fixtures/built-file.js';
import { buildWorkload, type Workload } from '../fixtures/zipf.js';
import type { LoopOptions, WorkloadSpec } from '../suite/options.js';
import type { Progress } from '../suite/progress.js';
import { type LoadRow, medianRun, type RowKind, rangeOf } from '../suite/report.js';
import { closedLoop, type LoadResult, type Operation } from './closed-loop.js';
import type { PiscinaCacheData } from './piscina-cache.worker.js';

export interface EmbeddedOptions extends LoopOptions {
  readonly workload: WorkloadSpec;
  readonly layouts: readonly Layout[];
  readonly runs: number;
}

export interface Layout {
  readonly nodes: number;
  readonly replication: number;
}

interface Opened {
  readonly operation: Operation;
  close(): Promise<void>;
}

interface Contender {
  readonly name: string;
  readonly kind: RowKind;
  readonly layout?: Layout;
  /** False for the bare round trip: it stores nothing, so no check and no hit ratio. */
  readonly isCache: boolean;
  open(w: Workload, maxMemory: number): Promise<Opened>;
}

const TRACE_OPS = 1 << 20;
const FILL_BATCH = 10_000;

/** The contenders, in the order they run (cheap in-process ones first). */
export function embeddedContenders(layouts: readonly Layout[]): Contender[] {
  const noClose = async (): Promise<void> => {};
  const contenders: Contender[] = [
    {
      name: 'Map (same loop)',
      kind: 'floor',
      isCache: true,
      async open(w) {
        const map = new Map<string, Uint8Array>();
        for (const key of w.keys) map.set(key, w.value);
        const keys = w.keys;
        return {
          operation: (k, isGet) => (isGet ? map.get(keys[k]!) : map.set(keys[k]!, w.value)),
          close: noClose,
        };
      },
    },
    {
      name: 'lru-cache@11',
      kind: 'baseline',
      isCache: true,
      async open(w) {
        const lru = new LRUCache<string, Uint8Array>({ max: w.keys.length });
        for (const key of w.keys) lru.set(key, w.value);
        const keys = w.keys;
        return {
          operation: (k, isGet) => (isGet ? lru.get(keys[k]!) : lru.set(keys[k]!, w.value)),
          close: noClose,
        };
      },
    },
    {
      name: 'CacheNode (direct)',
      kind: 'baseline',
      isCache: true,
      async open(w, maxMemory) {
        const node = new CacheNode(maxMemory, 'lru');
        for (const key of w.keys) node.set(key, w.value);
        const keys = w.keys;
        return {
          operation: (k, isGet) => (isGet ? node.getValue(keys[k]!) : node.set(keys[k]!, w.value)),
          close: noClose,
        };
      },
    },
    { name: 'worker round trip (no cache)', kind: 'floor', isCache: false, open: openEcho },
    { name: 'piscina.run() per command', kind: 'baseline', isCache: true, open: openPiscina },
  ];
  for (const layout of layouts) {
    contenders.push({
      name: `DistributedCache ${layout.nodes} node${layout.nodes > 1 ? 's' : ''} R=${layout.replication}`,
      kind: 'shardcache',
      layout,
      isCache: true,
      open: (w, maxMemory) => openCluster(w, maxMemory, layout),
    });
  }
  return contenders;
}

/** Steps the section takes (one per contender, concurrency and depth), for the progress bar. */
export function embeddedStepCount(o: EmbeddedOptions): number {
  return embeddedContenders(o.layouts).length * o.concurrency.length * o.depth.length;
}

export async function benchEmbedded(o: EmbeddedOptions, progress: Progress): Promise<LoadRow[]> {
  const w = buildWorkload({ ...o.workload, opCount: TRACE_OPS, seed: 7 });
  // Room for the whole key space on every node (a node may hold every key at R = nodes), so
  // the load measures serving, not eviction.
  const maxMemory = Math.ceil(o.workload.keyCount * (12 + o.workload.valueBytes) * 1.1) + (8 << 20);
  const rows: LoadRow[] = [];
  for (const contender of embeddedContenders(o.layouts)) {
    progress.start(`embedded › ${contender.name}: filling ${w.keys.length} keys`);
    const opened = await contender.open(w, maxMemory);
    try {
      if (contender.isCache) await checkAnswers(contender.name, opened.operation, w);
      for (const concurrency of o.concurrency) {
        for (const depth of o.depth) {
          progress.start(`embedded › ${contender.name} C=${concurrency} D=${depth}`);
          const results: LoadResult[] = [];
          for (let run = 0; run < o.runs; run++) {
            results.push(await closedLoop(w, { ...o, concurrency, depth }, opened.operation));
          }
          const r = medianRun(results);
          const gets = r.hits + r.misses;
          rows.push({
            system: contender.name,
            kind: contender.kind,
            nodes: contender.layout?.nodes ?? null,
            replication: contender.layout?.replication ?? null,
            concurrency,
            depth,
            opsPerSec: r.opsPerSec,
            ops: r.ops,
            p50Us: r.p50Us,
            p99Us: r.p99Us,
            p999Us: r.p999Us,
            hitRatio: contender.isCache && gets > 0 ? r.hits / gets : null,
            runs: o.runs,
            opsPerSecRange: rangeOf(results),
            ratios: {},
          });
          progress.finish(formatLoad(r));
        }
      }
    } finally {
      await opened.close();
    }
  }
  return rows;
}

/** One result as a line: ops/s and the three percentiles. */
export function formatLoad(r: {
  opsPerSec: number;
  p50Us: number;
  p99Us: number;
  p999Us: number;
}): string {
  const ops = Math.round(r.opsPerSec).toLocaleString('en-US');
  return `${ops} ops/s, p50 ${r.p50Us.toFixed(1)} µs, p99 ${r.p99Us.toFixed(1)} µs, p999 ${r.p999Us.toFixed(1)} µs`;
}

/** A contender must store and return the trace's value before it is timed. */
async function checkAnswers(name: string, operation: Operation, w: Workload): Promise<void> {
  for (const k of [0, w.keys.length - 1]) {
    await operation(k, false);
    const got = await operation(k, true);
    const length = got instanceof Uint8Array ? got.byteLength : -1;
    if (length !== w.value.length) {
      throw new Error(`${name}: get after set answered ${length} bytes, not ${w.value.length}`);
    }
  }
}

async function openEcho(): Promise<Opened> {
  const echo = new Worker(builtFile('./echo.worker.js', import.meta.url));
  // The worker answers in order, so a FIFO of resolvers matches replies to requests.
  let waiting: ((value: unknown) => void)[] = [];
  let head = 0;
  echo.on('message', (message: unknown) => {
    const resolve = waiting[head++];
    if (head === waiting.length) {
      waiting = [];
      head = 0;
    }
    resolve?.(message);
  });
  return {
    operation: (k) =>
      new Promise((resolve) => {
        waiting.push(resolve);
        echo.postMessage(k);
      }),
    close: async () => {
      await echo.terminate();
    },
  };
}

/** One thread: with two, a set on one and a get on the other would miss (not a cache). */
async function openPiscina(w: Workload, maxMemory: number): Promise<Opened> {
  const workerData: PiscinaCacheData = {
    keys: w.keys,
    valueBytes: w.value.length,
    maxMemory,
  };
  const pool = new Piscina({
    filename: builtFile('./piscina-cache.worker.js', import.meta.url),
    minThreads: 1,
    maxThreads: 1,
    idleTimeout: Number.POSITIVE_INFINITY,
    workerData,
  });
  const keys = w.keys;
  return {
    operation: (k, isGet) => pool.run({ key: keys[k]!, isGet }),
    close: () => pool.destroy(),
  };
}

async function openCluster(w: Workload, maxMemory: number, layout: Layout): Promise<Opened> {
  const cache = await DistributedCache.create({
    servers: layout.nodes,
    replicationFactor: layout.replication,
    maxMemory,
  });
  try {
    for (let start = 0; start < w.keys.length; start += FILL_BATCH) {
      const batch = w.keys
        .slice(start, start + FILL_BATCH)
        .map((k): [string, Uint8Array] => [k, w.value]);
      await cache.setMany(batch);
    }
  } catch (err) {
    await cache.close();
    throw err;
  }
  const keys = w.keys;
  return {
    operation: (k, isGet) => (isGet ? cache.get(keys[k]!) : cache.set(keys[k]!, w.value)),
    close: () => cache.close(),
  };
}
