/**
 * Ring lookup throughput: keys routed per second by `HashRing`, for 4 and 16 nodes × 150 virtual
 * nodes over 100k precomputed keys, by key (xxh64 + lookup) and by precomputed hash (lookup only),
 * with xxh64 alone as the baseline that splits the two costs.
 */
import { Bench, type Task } from 'tinybench';
import { DEFAULT_VIRTUAL_NODES, HashRing } from '../../src/ring/hash-ring.js';
import { hashKey } from '../../src/ring/hasher.js';
import type { BenchTable } from '../fixtures/bench-table.js';

const KEY_COUNT = 100_000;
/** Lookups per timed call: one lookup (~10 ns) is far below the timer's resolution. */
const BATCH = 1_000;
const NODE_COUNTS = [4, 16] as const;

/** memcached-style keys of 15-25 bytes, the same on every run. */
function makeKeys(): string[] {
  return Array.from({ length: KEY_COUNT }, (_, i) => `user:${i}:${Math.imul(i, 0x9e3779b1) >>> 0}`);
}

function makeRing(nodeCount: number): HashRing {
  const ring = new HashRing(DEFAULT_VIRTUAL_NODES);
  for (let i = 0; i < nodeCount; i++) {
    ring.addNode({ id: `node${i}`, addr: 'worker', weight: 1, isAlive: true });
  }
  return ring;
}

/** Refuses to time a ring whose key and hash paths disagree. */
function checkRing(ring: HashRing, keys: readonly string[], hashes: readonly bigint[]): void {
  for (let i = 0; i < KEY_COUNT; i += 97) {
    const key = keys[i]!;
    const primary = ring.getNode(key);
    const replicas = ring.getNodes(key, 2);
    if (
      primary === undefined ||
      primary !== ring.getNodeForHash(hashes[i]!) ||
      replicas.length !== 2 ||
      replicas[0] !== primary ||
      replicas[1] === primary
    ) {
      throw new Error(`ring lookup disagrees for key ${key}`);
    }
  }
}

function nsPerLookup(task: Task): number {
  const result = task.result;
  if (result.state !== 'completed') throw new Error(`bench task ${task.name}: ${result.state}`);
  // Median of the per-call samples: robust to a GC pause landing in one call.
  return (result.latency.p50 * 1e6) / BATCH;
}

export async function benchRing(timeMs = 500): Promise<BenchTable> {
  const keys = makeKeys();
  const hashes = keys.map(hashKey);
  const bench = new Bench({ name: 'ring', time: timeMs, warmupTime: Math.min(200, timeMs) });
  // Results feed `sink` so no lookup can be optimised away.
  let sink = 0;
  let cursor = 0;
  // Each task resumes where the last call stopped, so every key is visited in turn.
  const take = (): number => {
    const start = cursor;
    cursor = start + BATCH >= KEY_COUNT ? 0 : start + BATCH;
    return start;
  };

  bench.add('xxh64 of the key alone (baseline)', () => {
    const start = take();
    for (let i = start; i < start + BATCH; i++) if (hashKey(keys[i]!) === 0n) sink++;
  });
  for (const nodeCount of NODE_COUNTS) {
    const ring = makeRing(nodeCount);
    checkRing(ring, keys, hashes);
    const label = `${nodeCount} nodes × ${DEFAULT_VIRTUAL_NODES}`;
    bench.add(`getNode(key), ${label}`, () => {
      const start = take();
      for (let i = start; i < start + BATCH; i++) sink += ring.getNode(keys[i]!)!.weight;
    });
    bench.add(`getNodes(key, 2), ${label}`, () => {
      const start = take();
      for (let i = start; i < start + BATCH; i++) sink += ring.getNodes(keys[i]!, 2).length;
    });
    bench.add(`getNodeForHash(hash), ${label}`, () => {
      const start = take();
      for (let i = start; i < start + BATCH; i++) sink += ring.getNodeForHash(hashes[i]!)!.weight;
    });
    bench.add(`getNodesForHash(hash, 2), ${label}`, () => {
      const start = take();
      for (let i = start; i < start + BATCH; i++)
        sink += ring.getNodesForHash(hashes[i]!, 2).length;
    });
    bench.add(`vnodeForHash(hash), ${label}`, () => {
      const start = take();
      for (let i = start; i < start + BATCH; i++) sink ^= ring.vnodeForHash(hashes[i]!)!;
    });
  }

  await bench.run();
  if (!Number.isFinite(sink)) throw new Error('unreachable: keeps lookups observable');

  const rows = bench.tasks.map((task) => {
    const ns = nsPerLookup(task);
    return { name: task.name, 'ops/s': Math.round(1e9 / ns), 'ns/op': Number(ns.toFixed(1)) };
  });
  return {
    title: `HashRing lookups (${KEY_COUNT.toLocaleString('en')} precomputed keys, 1 op = 1 key)`,
    rows,
    notes: [
      `Each timed call routes ${BATCH} consecutive keys; ns/op is the median call divided by ${BATCH}.`,
      'getNode(key) = xxh64 of the key + lookup: compare with the baseline row and the *ForHash rows.',
    ],
  };
}
