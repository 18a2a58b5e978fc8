/**
 * A closed-loop load driver: C callers, each issuing its next operation as soon as the previous
 * one completes, for a fixed time. Latencies are kept exactly (one float per op, bounded by the
 * run length) and percentiles read from the sorted samples.
 */

import type { Workload } from '../fixtures/zipf.js';

export interface LoadResult {
  readonly opsPerSec: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly p999Us: number;
  readonly ops: number;
}

/** One operation of the trace: `isGet` picks get or set of key index `key`. */
export type Operation = (key: number, isGet: boolean) => Promise<unknown> | unknown;

const MAX_SAMPLES = 4_000_000;

export async function closedLoop(
  workload: Workload,
  concurrency: number,
  durationMs: number,
  operation: Operation,
): Promise<LoadResult> {
  const samples = new Float64Array(MAX_SAMPLES);
  let count = 0;
  let cursor = 0;
  const ops = workload.opKeys.length;
  const deadline = performance.now() + durationMs;
  const caller = async (): Promise<void> => {
    while (count < MAX_SAMPLES) {
      const i = cursor;
      cursor = cursor + 1 === ops ? 0 : cursor + 1;
      const started = performance.now();
      if (started >= deadline) return;
      await operation(workload.opKeys[i]!, workload.opIsGet[i] === 1);
      samples[count++] = performance.now() - started;
    }
  };
  const begun = performance.now();
  await Promise.all(Array.from({ length: concurrency }, caller));
  const elapsedMs = performance.now() - begun;
  const sorted = samples.subarray(0, count).sort();
  const at = (q: number): number =>
    (sorted[Math.min(count - 1, Math.floor(q * count))] ?? 0) * 1000;
  return {
    opsPerSec: (count / elapsedMs) * 1000,
    p50Us: at(0.5),
    p99Us: at(0.99),
    p999Us: at(0.999),
    ops: count,
  };
}
