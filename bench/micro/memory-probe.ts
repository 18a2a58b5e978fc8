/**
 * Child process of the memory benchmark: fills one store with N items (12-byte keys, 100-byte
 * values) and prints what the process grew by, per item, as JSON. Run with --expose-gc so that
 * garbage is collected before each reading. A process per store keeps the readings apart.
 */

import { LRUCache } from 'lru-cache';
import { CacheNode } from '../../src/storage/cache-node.js';

const kind = process.argv[2];
const count = Number(process.argv[3] ?? 1_000_000);
const VALUE = Buffer.alloc(100, 0x61);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

function key(i: number): string {
  return `key:${String(i).padStart(8, '0')}`;
}

function fill(): unknown {
  switch (kind) {
    case 'cachenode': {
      const node = new CacheNode(count * 200, 'lru');
      for (let i = 0; i < count; i++) node.set(key(i), VALUE);
      return node;
    }
    case 'cachenode-bytes': {
      // as a worker fills it: keys arrive as bytes, no string per key
      const node = new CacheNode(count * 200, 'lru');
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

gc();
const before = process.memoryUsage();
const store = fill();
gc();
gc();
const after = process.memoryUsage();
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
    storeKind: store === undefined ? 'none' : typeof store,
  })}\n`,
);
