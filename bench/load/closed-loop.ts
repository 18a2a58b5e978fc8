/**
 * A closed-loop load driver: C callers, each keeping D operations in flight and issuing the next
 * ones as soon as they complete, for a warm-up and then a measured window. Latencies go to a
 * log-linear histogram (bench/fixtures/latency.ts): constant memory, percentiles within 0.1%.
 */

import { LatencyRecorder } from '../fixtures/latency.js';
import type { Workload } from '../fixtures/zipf.js';

export interface LoadResult {
  readonly opsPerSec: number;
  /** Operations completed in the measured window. */
  readonly ops: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly p999Us: number;
  /** Gets in the measured window that found a value, and that found none. */
  readonly hits: number;
  readonly misses: number;
}

/**
 * One operation of the trace: a get (`isGet`) or a set of key index `key`. A get resolves to
 * `undefined` on a miss and to anything else on a hit.
 */
export type Operation = (key: number, isGet: boolean) => Promise<unknown> | unknown;

export interface ClosedLoopOptions {
  /** Callers running at once. */
  readonly concurrency: number;
  /** Operations each caller keeps in flight (issued together, awaited together). Default 1. */
  readonly depth?: number;
  readonly durationMs: number;
  /** Time run before the measured window (JIT, caches, pools), not counted. Default 0. */
  readonly warmupMs?: number;
}

/** A run that has not ended this long after its window did is stuck: fail instead of hanging. */
const OVERRUN_MS = 30_000;
/**
 * The window stays open until it holds this many operations per caller, counted over all
 * callers together (4 × C in total, whoever completes them): a stall longer than a
 * short window (a GC, or a thread descheduled on a loaded host) would otherwise leave it empty
 * and the cell reporting 0 ops/s. Past the deadline the rate is over the window as it ran.
 */
const MIN_OPS_PER_CALLER = 4;

export async function closedLoop(
  workload: Workload,
  options: ClosedLoopOptions,
  operation: Operation,
): Promise<LoadResult> {
  const depth = options.depth ?? 1;
  const latency = new LatencyRecorder();
  const traceLength = workload.opKeys.length;
  const begun = performance.now();
  const measureFrom = begun + (options.warmupMs ?? 0);
  const deadline = measureFrom + options.durationMs;
  let cursor = 0;
  let ops = 0;
  let hits = 0;
  let misses = 0;
  const minOps = MIN_OPS_PER_CALLER * options.concurrency;
  const open = (nowMs: number): boolean => nowMs < deadline || ops < minOps;

  const complete = (isGet: boolean, result: unknown, startedMs: number, endedMs: number): void => {
    if (startedMs < measureFrom) return;
    latency.recordMs(endedMs - startedMs);
    ops++;
    if (!isGet) return;
    if (result === undefined) misses++;
    else hits++;
  };
  const next = (): number => {
    const i = cursor;
    cursor = i + 1 === traceLength ? 0 : i + 1;
    return i;
  };
  // depth 1 is the common case: no closure or array per operation in its loop
  // one clock reading per operation: its end is the next one's start (a reading costs ~40 ns)
  const callOne = async (): Promise<void> => {
    let startedMs = performance.now();
    while (open(startedMs)) {
      const i = next();
      const isGet = workload.opIsGet[i] === 1;
      const result = await operation(workload.opKeys[i]!, isGet);
      const endedMs = performance.now();
      complete(isGet, result, startedMs, endedMs);
      startedMs = endedMs;
    }
  };
  const callMany = async (): Promise<void> => {
    for (;;) {
      const startedMs = performance.now();
      if (!open(startedMs)) return;
      const batch: Promise<void>[] = [];
      for (let d = 0; d < depth; d++) {
        const i = next();
        const isGet = workload.opIsGet[i] === 1;
        batch.push(
          Promise.resolve(operation(workload.opKeys[i]!, isGet)).then((result) =>
            complete(isGet, result, startedMs, performance.now()),
          ),
        );
      }
      await Promise.all(batch);
    }
  };

  const caller = depth === 1 ? callOne : callMany;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const overrun = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error('closed loop overran its window: an operation never completed')),
      deadline - begun + OVERRUN_MS,
    );
  });
  try {
    await Promise.race([Promise.all(Array.from({ length: options.concurrency }, caller)), overrun]);
  } finally {
    clearTimeout(timer);
  }
  const windowMs = Math.max(1, performance.now() - measureFrom);
  const result = {
    opsPerSec: (ops / windowMs) * 1000,
    ops,
    ...latency.percentiles(),
    hits,
    misses,
  };
  return result;
}
