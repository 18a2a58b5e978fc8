/**
 * CacheNode against lru-cache@11 on one precomputed trace (100k keys, Zipf 0.99, 90% get,
 * 100-byte values), in one run: each policy through the string API, then the byte path the
 * worker uses (keys and values as bytes, values copied into a reply buffer).
 * Both caches get the same features: a byte budget with a size per item, and a TTL on every set.
 */

import { LRUCache } from 'lru-cache';
import { Bench } from 'tinybench';
import { CacheNode } from '../../src/storage/cache-node.js';
import { encodeKey, newKeyScratch } from '../../src/storage/key-bytes.js';
import { EVICTION_POLICIES } from '../../src/types.js';
import type { BenchTable } from '../fixtures/bench-table.js';
import { FloorTable } from '../fixtures/floor-table.js';
import { buildWorkload, type Workload } from '../fixtures/zipf.js';

const MAX_MEMORY = 64 * 1024 * 1024;
const TTL_MS = 3_600_000;
const BATCH = 1000;

type Runner = (from: number, to: number) => number;

function lruCacheRunner(w: Workload): Runner {
  const cache = new LRUCache<string, Buffer>({
    maxSize: MAX_MEMORY,
    sizeCalculation: (value, key) => key.length + value.length,
    ttl: TTL_MS,
  });
  return (from, to) => {
    let found = 0;
    for (let i = from; i < to; i++) {
      const key = w.keys[w.opKeys[i]!]!;
      if (w.opIsGet[i]) {
        if (cache.get(key) !== undefined) found++;
      } else cache.set(key, w.value);
    }
    return found;
  };
}

function stringApiRunner(w: Workload, node: CacheNode, valueOnly: boolean): Runner {
  return (from, to) => {
    let found = 0;
    for (let i = from; i < to; i++) {
      const key = w.keys[w.opKeys[i]!]!;
      if (w.opIsGet[i]) {
        if ((valueOnly ? node.getValue(key) : node.get(key)) !== undefined) found++;
      } else node.set(key, w.value, TTL_MS);
    }
    return found;
  };
}

function bytePathRunner(w: Workload, node: CacheNode): Runner {
  const reply = Buffer.allocUnsafe(64 * 1024);
  return (from, to) => {
    let found = 0;
    let at = 0;
    for (let i = from; i < to; i++) {
      const k = w.opKeys[i]!;
      const off = w.keyOffsets[k]!;
      const len = w.keyLengths[k]!;
      if (w.opIsGet[i]) {
        const slot = node.lookup(w.keyBytes, off, len);
        if (slot >= 0) {
          if (at + node.valueLength(slot) > reply.length) at = 0;
          at += node.copyValue(slot, reply, at);
          found++;
        }
      } else {
        node.storeBytes('set', w.keyBytes, off, len, w.value, 0, w.value.length, TTL_MS, 0);
      }
    }
    return found;
  };
}

/**
 * The same two paths on FloorTable, the least work the slab layout allows (no eviction, no
 * stats, no checks): the best ratio to lru-cache this design could reach on this machine.
 * `stringKeys` encodes each key string (as CacheNode's string API does) and takes a value view.
 */
function floorRunner(w: Workload, stringKeys: boolean): Runner {
  const table = new FloorTable(w.keys.length, 16, w.value.length);
  const reply = Buffer.allocUnsafe(64 * 1024);
  const replyView = new DataView(reply.buffer, reply.byteOffset, reply.byteLength);
  const scratch = newKeyScratch();
  return (from, to) => {
    table.nowMs = Date.now(); // a cached clock, read once per batch
    let found = 0;
    let at = 0;
    for (let i = from; i < to; i++) {
      const k = w.opKeys[i]!;
      let bytes: Uint8Array = w.keyBytes;
      let off = w.keyOffsets[k]!;
      let len = w.keyLengths[k]!;
      if (stringKeys) {
        bytes = scratch;
        off = 0;
        len = encodeKey(w.keys[k]!, scratch);
      }
      if (!w.opIsGet[i]) {
        table.set(bytes, off, len, w.value, TTL_MS);
        continue;
      }
      const item = table.lookup(bytes, off, len);
      if (item < 0) continue;
      if (stringKeys) {
        if (table.valueView(item).length > 0) found++;
      } else {
        found++;
        if (at + w.value.length > reply.length) at = 0;
        at += table.copyValue(item, reply, replyView, at);
      }
    }
    return found;
  };
}

/** Runs `runner` over the trace in batches of BATCH operations per bench iteration. */
function addTask(bench: Bench, name: string, runner: Runner, opCount: number): void {
  // Warm: every key that the trace sets is present before timing starts.
  runner(0, opCount);
  let cursor = 0;
  bench.add(name, () => {
    if (cursor + BATCH > opCount) cursor = 0;
    runner(cursor, cursor + BATCH);
    cursor += BATCH;
  });
}

export async function benchStorage(timeMs = 1000): Promise<BenchTable> {
  const w = buildWorkload({
    keyCount: 100_000,
    opCount: 1_000_000,
    zipfS: 0.99,
    getRatio: 0.9,
    valueBytes: 100,
    seed: 42,
  });
  const bench = new Bench({ time: timeMs, warmupTime: Math.min(200, timeMs) });
  addTask(bench, 'lru-cache@11 (baseline)', lruCacheRunner(w), w.opKeys.length);
  for (const policy of EVICTION_POLICIES) {
    addTask(
      bench,
      `CacheNode ${policy} get()`,
      stringApiRunner(w, new CacheNode(MAX_MEMORY, policy), false),
      w.opKeys.length,
    );
  }
  addTask(
    bench,
    'CacheNode lru getValue()',
    stringApiRunner(w, new CacheNode(MAX_MEMORY, 'lru'), true),
    w.opKeys.length,
  );
  addTask(
    bench,
    'CacheNode lru byte path',
    bytePathRunner(w, new CacheNode(MAX_MEMORY, 'lru')),
    w.opKeys.length,
  );
  addTask(bench, 'floor: bare slab table, byte path', floorRunner(w, false), w.opKeys.length);
  addTask(
    bench,
    'floor: bare slab table, string key, value view',
    floorRunner(w, true),
    w.opKeys.length,
  );
  await bench.run();
  const baseline = opsPerSec(bench.tasks[0]!);
  const rows = bench.tasks.map((task) => {
    const ops = opsPerSec(task);
    return {
      name: task.name,
      'ops/s': Math.round(ops),
      'ns/op': Number((1e9 / ops).toFixed(1)),
      'vs lru-cache': Number((ops / baseline).toFixed(2)),
    };
  });
  return { title: 'storage: 100k keys, Zipf 0.99, 90% get, 100 B values, TTL on every set', rows };
}

function opsPerSec(task: Bench['tasks'][number]): number {
  const r = task.result;
  if (!r || !('period' in r)) throw new Error(`task ${task.name} has no result`);
  // period: mean milliseconds per iteration of BATCH operations
  return (1000 / r.period) * BATCH;
}
