/**
 * Hit ratio per eviction policy on Zipf traces whose key space exceeds the cache (cache sizes
 * of 1% and 10% of the keys), next to Belady's optimum (OPT) computed offline on the same trace.
 *
 * Every request is a get; a miss stores the key (demand fill), as a look-aside cache does. All
 * items have the same size (12-byte key + V-byte value) and CacheNode bounds key + value bytes,
 * so its `maxMemory` of capacity × item bytes is exactly a capacity in items, the unit OPT and
 * lru-cache (`max`) use. The hit ratio counts every request from a cold start, cold misses
 * included, alike for all.
 *
 * The `ttl` policy evicts the soonest expiry first, so it needs TTLs: each set draws one uniformly
 * from [n, 2n) ticks of a logical clock that advances one tick per request (n = trace length).
 * No item expires during the trace, so `ttl` is measured as an eviction order (random-ish, biased
 * to evicting the oldest sets), not as expiry.
 */

import { LRUCache } from 'lru-cache';
import { CacheNode } from '../../src/storage/cache-node.js';
import { EVICTION_POLICIES, type EvictionPolicy } from '../../src/types.js';
import { beladyHits } from '../fixtures/belady.js';
import { buildWorkload, seededRandom, type Workload } from '../fixtures/zipf.js';
import type { SuiteOptions } from '../suite/options.js';
import type { Progress } from '../suite/progress.js';
import type { HitRatioRow } from '../suite/report.js';

export const OPT = 'opt';
export const LRU_CACHE = 'lru-cache@11';

type HitRatioOptions = SuiteOptions['hitRatio'] & { readonly valueBytes: number };

export interface HitRatioResult {
  readonly rows: HitRatioRow[];
  readonly notes: string[];
}

export function hitRatioStepCount(o: HitRatioOptions): number {
  return o.zipfS.length * o.cacheFractions.length;
}

export async function benchHitRatio(
  o: HitRatioOptions,
  progress: Progress,
): Promise<HitRatioResult> {
  const rows: HitRatioRow[] = [];
  const disagreements: string[] = [];
  for (const zipfS of o.zipfS) {
    const w = buildWorkload({
      keyCount: o.keyCount,
      opCount: o.requestCount,
      zipfS,
      getRatio: 1,
      valueBytes: o.valueBytes,
      seed: 11,
    });
    for (const cacheFraction of o.cacheFractions) {
      const capacityItems = Math.max(1, Math.round(o.keyCount * cacheFraction));
      progress.start(
        `hit ratio › Zipf ${zipfS}, cache ${percent(cacheFraction)} (${capacityItems} items)`,
      );
      // the simulation is synchronous: let the progress line draw before it starts
      await new Promise((resolve) => setImmediate(resolve));
      const add = (policy: string, hits: number): number => {
        const hitRatio = hits / o.requestCount;
        rows.push({ zipfS, cacheFraction, capacityItems, policy, hitRatio });
        return hitRatio;
      };
      const opt = add(OPT, beladyHits(w.opKeys, o.keyCount, capacityItems));
      const byPolicy: string[] = [];
      for (const policy of EVICTION_POLICIES) {
        const ratio = add(policy, simulateCacheNode(w, policy, capacityItems));
        byPolicy.push(`${policy} ${percent(ratio)}`);
      }
      // lru-cache is the reference LRU: CacheNode's lru must score exactly the same
      const lruCache = simulateLruCache(w, capacityItems);
      add(LRU_CACHE, lruCache);
      const ours = rows.find(
        (r) => r.policy === 'lru' && r.zipfS === zipfS && r.cacheFraction === cacheFraction,
      );
      if (ours !== undefined && Math.round(ours.hitRatio * o.requestCount) !== lruCache) {
        disagreements.push(`Zipf ${zipfS}, ${percent(cacheFraction)}`);
      }
      progress.finish(`OPT ${percent(opt)}, ${byPolicy.join(', ')}`);
    }
  }
  const notes = [
    `${o.requestCount.toLocaleString('en-US')} gets per trace over ${o.keyCount.toLocaleString('en-US')} keys (seeded Zipf), a miss stores the key; hit ratio over the whole trace from a cold cache.`,
    "OPT: Belady's MIN (evict the item used farthest in the future), computed offline; it stores every missed key, as the policies do.",
    'ttl: every set draws a TTL uniformly from [n, 2n) ticks of a logical clock (one tick per request, n requests), so nothing expires and ttl ranks by assigned expiry.',
    disagreements.length === 0
      ? 'lru-cache@11 (max = capacity) scores exactly as CacheNode lru on every trace: a cross-check of the simulation.'
      : `lru-cache@11 and CacheNode lru disagree on: ${disagreements.join('; ')}.`,
  ];
  return { rows, notes };
}

/** Hits of a CacheNode with `policy` holding `capacity` items, on the trace (demand fill). */
function simulateCacheNode(w: Workload, policy: EvictionPolicy, capacity: number): number {
  let tick = 0;
  const n = w.opKeys.length;
  const node = new CacheNode(capacity * (12 + w.value.length), policy, { clock: () => tick });
  const random = seededRandom(5);
  const keys = w.keys;
  let hits = 0;
  for (let i = 0; i < n; i++) {
    tick = i;
    const key = keys[w.opKeys[i]!]!;
    if (node.getValue(key) !== undefined) {
      hits++;
    } else {
      const ttlMs = policy === 'ttl' ? n + Math.floor(random() * n) : 0;
      if (!node.set(key, w.value, ttlMs)) throw new Error(`CacheNode ${policy} refused a set`);
    }
  }
  const stats = node.stats();
  if (stats.hits !== hits || stats.hits + stats.misses !== n || stats.entryCount > capacity) {
    throw new Error(`CacheNode ${policy}: stats disagree with the simulation`);
  }
  return hits;
}

function simulateLruCache(w: Workload, capacity: number): number {
  const cache = new LRUCache<string, Uint8Array>({ max: capacity });
  const keys = w.keys;
  let hits = 0;
  for (let i = 0; i < w.opKeys.length; i++) {
    const key = keys[w.opKeys[i]!]!;
    if (cache.get(key) !== undefined) hits++;
    else cache.set(key, w.value);
  }
  return hits;
}

function percent(ratio: number): string {
  return `${(ratio * 100).toFixed(ratio < 0.1 ? 2 : 1)}%`;
}
