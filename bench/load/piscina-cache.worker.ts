/**
 * Baseline worker: one CacheNode, one piscina task per command (no batching). It stores the
 * benchmark's keys itself at start (`workerData`), so the baseline hits as the cluster does, and
 * answers a get with a copy of the value, as any cache across a thread boundary must.
 */
import { workerData } from 'node:worker_threads';
import { CacheNode } from '../../src/storage/cache-node.js';

export interface PiscinaCacheData {
  readonly keys: readonly string[];
  readonly valueBytes: number;
  readonly maxMemory: number;
}

const data = workerData as PiscinaCacheData;
const node = new CacheNode(data.maxMemory, 'lru');
const VALUE = Buffer.alloc(data.valueBytes, 0x61);
for (const key of data.keys) node.set(key, VALUE);

/** A get answers the value or undefined (a miss); a set answers whether it stored. */
export default function run(task: {
  key: string;
  isGet: boolean;
}): Uint8Array | boolean | undefined {
  if (task.isGet) return node.getValue(task.key)?.slice();
  return node.set(task.key, VALUE);
}
