/**
 * The benchmark suite end to end in a tiny configuration: every section runs (real worker
 * threads, stock memcached, the shardcache CLI, probe processes, each stopped by the section
 * that started it), and the report it writes must be whole and sane. No timing is asserted.
 */

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUICK, SECTIONS, type SuiteOptions } from '../../../bench/suite/options.js';
import {
  type BenchReport,
  EMBEDDED_BASELINES,
  type LoadRow,
  MEMCACHED,
  REPORT_SCHEMA,
} from '../../../bench/suite/report.js';
import { runSuite, writeReport } from '../../../bench/suite/run-suite.js';

const outDir = mkdtempSync(join(tmpdir(), 'shardcache-bench-'));

const TINY: SuiteOptions = {
  ...QUICK,
  sections: SECTIONS.filter((s) => s !== 'micro'),
  workload: { keyCount: 500, zipfS: 0.99, getRatio: 0.9, valueBytes: 32 },
  nodes: [1, 2],
  replication: [1, 2],
  runs: 1,
  embedded: { concurrency: [4], depth: [1, 4], durationMs: 30, warmupMs: 10 },
  tcp: { concurrency: [2], depth: [2], durationMs: 100, warmupMs: 20, nodes: [2], traceOps: 4096 },
  memoryItems: 5_000,
  hitRatio: {
    keyCount: 2_000,
    requestCount: 20_000,
    zipfS: [0.8, 0.99],
    cacheFractions: [0.01, 0.1],
  },
  outDir,
  jsonPath: join(outDir, 'copy', 'report.json'),
};

let report: BenchReport;
let written: string[];

beforeAll(async () => {
  const ran = await runSuite(TINY, undefined, 'test');
  written = writeReport(ran, TINY);
  // what a reader gets is the file: check that, not the object
  report = JSON.parse(readFileSync(join(outDir, 'report.json'), 'utf8')) as BenchReport;
});

afterAll(() => {
  rmSync(outDir, { recursive: true, force: true });
});

function expectSaneLoad(rows: readonly LoadRow[]): void {
  expect(rows.length).toBeGreaterThan(0);
  for (const r of rows) {
    const where = `${r.system} C=${r.concurrency} D=${r.depth}`;
    expect(r.ops, where).toBeGreaterThan(0);
    expect(r.opsPerSec, where).toBeGreaterThan(0);
    expect(r.p50Us, where).toBeGreaterThan(0);
    expect(r.p50Us, where).toBeLessThanOrEqual(r.p99Us);
    expect(r.p99Us, where).toBeLessThanOrEqual(r.p999Us);
    if (r.hitRatio !== null) {
      expect(r.hitRatio, where).toBeGreaterThanOrEqual(0);
      expect(r.hitRatio, where).toBeLessThanOrEqual(1);
    }
    for (const ratio of Object.values(r.ratios)) expect(ratio, where).toBeGreaterThan(0);
  }
}

describe('npm run bench, tiny', () => {
  it('writes the report, its JSON copy and one SVG per figure', () => {
    expect(report.schema).toBe(REPORT_SCHEMA);
    expect(readFileSync(TINY.jsonPath!, 'utf8')).toBe(
      readFileSync(join(outDir, 'report.json'), 'utf8'),
    );
    const md = readFileSync(join(outDir, 'report.md'), 'utf8');
    for (const heading of [
      'Embedded',
      'Scaling with nodes',
      'TCP server',
      'Memory per item',
      'Hit ratio',
    ]) {
      expect(md).toContain(heading);
    }
    const svgs = readdirSync(outDir).filter((f) => f.endsWith('.svg'));
    expect(svgs).toEqual(
      expect.arrayContaining([
        'throughput-embedded.svg',
        'scaling-nodes.svg',
        'throughput-tcp.svg',
        'memory.svg',
        'hit-ratio.svg',
      ]),
    );
    expect(svgs.some((f) => f.startsWith('latency-embedded-'))).toBe(true);
    for (const file of svgs) {
      const svg = readFileSync(join(outDir, file), 'utf8');
      expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'), file).toBe(true);
      expect(svg.trimEnd().endsWith('</svg>'), file).toBe(true);
      expect(svg, file).not.toMatch(/NaN|undefined|Infinity/);
      expect(md, file).toContain(`](${file})`);
    }
    expect(written).toContain(join(outDir, 'report.md'));
  });

  it('measures every embedded system and layout, with ratios to both baselines', () => {
    expectSaneLoad(report.embedded);
    const systems = new Set(report.embedded.map((r) => r.system));
    for (const name of [
      ...EMBEDDED_BASELINES,
      'CacheNode (direct)',
      'DistributedCache 2 nodes R=2',
    ]) {
      expect(systems).toContain(name);
    }
    // layouts need R ≤ nodes: 1×1, 2×1, 2×2
    expect(report.embedded.filter((r) => r.kind === 'shardcache').length).toBe(3 * 2);
    for (const r of report.embedded) {
      for (const b of EMBEDDED_BASELINES) expect(r.ratios[b], r.system).toBeGreaterThan(0);
      // every store holds the whole key space: gets hit
      if (r.hitRatio !== null) expect(r.hitRatio, r.system).toBe(1);
    }
  });

  it('loads the TCP server and, when installed, stock memcached, with ratios to it', () => {
    expectSaneLoad(report.tcp);
    const hasMemcached = report.tcp.some((r) => r.system === MEMCACHED);
    if (hasMemcached) {
      for (const r of report.tcp) expect(r.ratios[MEMCACHED], r.system).toBeGreaterThan(0);
    } else {
      expect(report.skipped.map((s) => s.what)).toContain('memcached (TCP baseline)');
    }
    expect(report.tcp.filter((r) => r.kind === 'shardcache').map((r) => r.system)).toEqual([
      'shardcache -t 2 R=1',
      'shardcache -t 2 R=2',
    ]);
  });

  it('reports memory per item for every store', () => {
    expect(report.memory.length).toBeGreaterThanOrEqual(5);
    for (const r of report.memory) {
      expect(r.items).toBe(TINY.memoryItems);
      expect(Number.isFinite(r.rssBytesPerItem), r.store).toBe(true);
      if (r.heapBytesPerItem !== null) expect(Number.isFinite(r.heapBytesPerItem)).toBe(true);
    }
  });

  it('gives hit ratios in [0, 1], OPT at or above every policy, lru-cache equal to lru', () => {
    const rows = report.hitRatio.rows;
    const cases = new Set(rows.map((r) => `${r.zipfS}|${r.cacheFraction}`));
    expect(cases.size).toBe(4);
    for (const c of cases) {
      const own = rows.filter((r) => `${r.zipfS}|${r.cacheFraction}` === c);
      expect(own.map((r) => r.policy).sort()).toEqual(
        ['fifo', 'lfu', 'lru', 'lru-cache@11', 'opt', 'ttl'].sort(),
      );
      const opt = own.find((r) => r.policy === 'opt')!;
      for (const r of own) {
        expect(r.hitRatio, `${c} ${r.policy}`).toBeGreaterThanOrEqual(0);
        expect(r.hitRatio, `${c} ${r.policy}`).toBeLessThanOrEqual(1);
        expect(opt.hitRatio, `${c} OPT vs ${r.policy}`).toBeGreaterThanOrEqual(r.hitRatio);
      }
      const lru = own.find((r) => r.policy === 'lru')!;
      expect(own.find((r) => r.policy === 'lru-cache@11')!.hitRatio).toBe(lru.hitRatio);
      expect(opt.hitRatio).toBeGreaterThan(0);
    }
  });

  it('records how the figures were taken', () => {
    expect(report.options.mode).toBe('quick');
    expect(report.machine).toMatch(/Node v\d+/);
    expect(report.elapsedSec).toBeGreaterThan(0);
    expect(report.skipped.map((s) => s.what)).toContain('section micro');
    expect(report.notes['hit-ratio']?.join(' ')).toContain('OPT');
  });
});
