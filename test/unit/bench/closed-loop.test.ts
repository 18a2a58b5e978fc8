import { describe, expect, it } from 'vitest';
import { buildWorkload } from '../../../bench/fixtures/zipf.js';
import { closedLoop } from '../../../bench/load/closed-loop.js';

const workload = buildWorkload({
  keyCount: 100,
  opCount: 1000,
  zipfS: 0.99,
  getRatio: 0.9,
  valueBytes: 10,
  seed: 7,
});

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('closedLoop', () => {
  it('counts operations after the warm-up only, and a get as a hit or a miss by its result', async () => {
    let calls = 0;
    const result = await closedLoop(
      workload,
      { concurrency: 2, durationMs: 40, warmupMs: 20 },
      async (key, isGet) => {
        calls++;
        await sleep(1);
        return isGet ? (key % 2 === 0 ? key : undefined) : true;
      },
    );
    expect(result.ops).toBeGreaterThan(0);
    expect(calls).toBeGreaterThan(result.ops); // the warm-up's calls are not counted
    expect(result.hits + result.misses).toBeLessThanOrEqual(result.ops);
    expect(result.hits).toBeGreaterThan(0);
    expect(result.misses).toBeGreaterThan(0);
    expect(result.opsPerSec).toBeGreaterThan(0);
  });

  it('keeps the window open until it holds operations when one stall outlasts it', async () => {
    // Every caller's first operation starts in the warm-up and ends after the window: a
    // window closed on time would count nothing.
    let calls = 0;
    const result = await closedLoop(
      workload,
      { concurrency: 3, durationMs: 20, warmupMs: 5 },
      async () => {
        calls++;
        if (calls <= 3) await sleep(80);
        return true;
      },
    );
    expect(result.ops).toBeGreaterThanOrEqual(4 * 3);
    expect(result.opsPerSec).toBeGreaterThan(0);
    expect(result.p50Us).toBeGreaterThan(0);
  });
});
