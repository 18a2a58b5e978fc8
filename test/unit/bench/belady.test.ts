import { describe, expect, it } from 'vitest';
import { beladyHits } from '../../../bench/fixtures/belady.js';
import { LatencyRecorder } from '../../../bench/fixtures/latency.js';
import { seededRandom, zipfSampler } from '../../../bench/fixtures/zipf.js';

/** The definition, O(n × capacity): on a full miss, scan the cache for the farthest next use. */
function naiveOpt(trace: readonly number[], capacity: number): number {
  const cache = new Set<number>();
  let hits = 0;
  trace.forEach((key, i) => {
    if (cache.has(key)) {
      hits++;
      return;
    }
    if (cache.size === capacity) {
      let victim = -1;
      let farthest = -1;
      for (const cached of cache) {
        const next = trace.indexOf(cached, i + 1);
        const distance = next < 0 ? Number.POSITIVE_INFINITY : next;
        if (distance > farthest) {
          farthest = distance;
          victim = cached;
        }
      }
      cache.delete(victim);
    }
    cache.add(key);
  });
  return hits;
}

function lruHits(trace: readonly number[], capacity: number): number {
  const cache = new Map<number, true>();
  let hits = 0;
  for (const key of trace) {
    if (cache.delete(key)) hits++;
    else if (cache.size === capacity) cache.delete(cache.keys().next().value!);
    cache.set(key, true);
  }
  return hits;
}

describe('beladyHits (OPT)', () => {
  it('scores as the definition on seeded random traces, and never below LRU', () => {
    const random = seededRandom(1);
    for (let round = 0; round < 200; round++) {
      const keyCount = 1 + Math.floor(random() * 12);
      const sample = zipfSampler(keyCount, random() * 1.5, random);
      const trace = Array.from({ length: Math.floor(random() * 120) }, sample);
      const capacity = 1 + Math.floor(random() * keyCount);
      const hits = beladyHits(Int32Array.from(trace), keyCount, capacity);
      expect(hits, `trace ${trace.join(',')} capacity ${capacity}`).toBe(naiveOpt(trace, capacity));
      expect(hits).toBeGreaterThanOrEqual(lruHits(trace, capacity));
    }
  });

  it('hits every repeat when everything fits, and nothing with no room', () => {
    const trace = Int32Array.from([0, 1, 2, 0, 1, 2, 3, 3]);
    expect(beladyHits(trace, 4, 4)).toBe(4);
    expect(beladyHits(trace, 4, 0)).toBe(0);
    expect(beladyHits(new Int32Array(0), 1, 1)).toBe(0);
  });
});

describe('LatencyRecorder', () => {
  it('reports percentiles within 0.1% of the exact ones, never below', () => {
    const random = seededRandom(2);
    const recorder = new LatencyRecorder();
    const samplesMs: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      // 0.2 µs to ~20 ms, log-uniform: in-process and cross-thread latencies alike
      const ms = 0.0002 * 10 ** (random() * 5);
      samplesMs.push(ms);
      recorder.recordMs(ms);
    }
    samplesMs.sort((a, b) => a - b);
    const exactUs = (q: number): number =>
      Math.round(samplesMs[Math.ceil(q * samplesMs.length) - 1]! * 1e6) / 1000;
    const p = recorder.percentiles();
    for (const [got, q] of [
      [p.p50Us, 0.5],
      [p.p99Us, 0.99],
      [p.p999Us, 0.999],
    ] as const) {
      expect(got).toBeGreaterThanOrEqual(exactUs(q));
      expect(got).toBeLessThanOrEqual(exactUs(q) * 1.001 + 0.001);
    }
    expect(recorder.count).toBe(20_000);
  });

  it('is exact below 2,048 ns and keeps 3 digits up to an hour', () => {
    const recorder = new LatencyRecorder();
    expect(recorder.percentiles()).toEqual({ p50Us: 0, p99Us: 0, p999Us: 0 });
    for (let ns = 1; ns <= 1000; ns++) recorder.recordMs(ns / 1e6);
    expect(recorder.percentiles()).toEqual({ p50Us: 0.5, p99Us: 0.99, p999Us: 0.999 });
    const slow = new LatencyRecorder();
    // 2^32 ns and more take the other half of the magnitude computation
    for (const ms of [1, 4_400, 3_600_000]) slow.recordMs(ms);
    const { p50Us, p999Us } = slow.percentiles();
    expect(p50Us).toBeGreaterThanOrEqual(4_400_000);
    expect(p50Us).toBeLessThanOrEqual(4_400_000 * 1.001);
    expect(p999Us).toBeGreaterThanOrEqual(3_600_000_000);
    expect(p999Us).toBeLessThanOrEqual(3_600_000_000 * 1.001);
  });
});
