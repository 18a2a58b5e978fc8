/** Baseline worker: one CacheNode, one piscina task per command (no batching). */
import { CacheNode } from '../../src/storage/cache-node.js';

const node = new CacheNode(256 * 1024 * 1024, 'lru');
const VALUE = Buffer.alloc(100, 0x61);

export default function run(task: { key: string; isGet: boolean }): boolean {
  if (task.isGet) return node.getValue(task.key) !== undefined;
  return node.set(task.key, VALUE);
}
