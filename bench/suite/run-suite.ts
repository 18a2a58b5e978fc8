/**
 * The whole benchmark suite as one function: runs the selected sections in a fixed order
 * (cheap and in-process first, processes last), gathers their figures into one report, and
 * writes it out. `bench/run.ts` is its command line; the report test calls it directly.
 */

import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import type { BenchTable } from '../fixtures/bench-table.js';
import { benchEmbedded, embeddedStepCount, type Layout } from '../load/embedded.bench.js';
import { benchServers, type ServerBenchOptions, serverStepCount } from '../load/server.bench.js';
import { benchDecoder } from '../micro/decoder.bench.js';
import { benchHitRatio, hitRatioStepCount } from '../micro/hit-ratio.bench.js';
import { MEMORY_STEP_COUNT, measureMemory } from '../micro/memory.bench.js';
import { benchRing } from '../micro/ring.bench.js';
import { benchStorage } from '../micro/storage.bench.js';
import { buildCharts } from '../report/charts.js';
import { renderReport } from '../report/markdown.js';
import { describeMachine, SECTIONS, type SectionName, type SuiteOptions } from './options.js';
import { type Progress, SILENT_PROGRESS } from './progress.js';
import {
  addRatios,
  type BenchReport,
  EMBEDDED_BASELINES,
  REPORT_SCHEMA,
  toJsonText,
} from './report.js';

const MICRO: readonly [string, (timeMs: number) => Promise<BenchTable>][] = [
  ['storage', benchStorage],
  ['ring', benchRing],
  ['decoder', benchDecoder],
];

/** Every nodes × replication layout with replication ≤ nodes. */
export function layoutsOf(nodes: readonly number[], replication: readonly number[]): Layout[] {
  const layouts: Layout[] = [];
  for (const r of replication)
    for (const n of nodes) if (r <= n) layouts.push({ nodes: n, replication: r });
  return layouts;
}

function serverOptions(o: SuiteOptions): ServerBenchOptions {
  return {
    ...o.tcp,
    workload: o.workload,
    layouts: layoutsOf(o.tcp.nodes, o.replication),
    runs: o.runs,
  };
}

/** Steps the run will take, for the progress bar. */
export function stepCount(o: SuiteOptions): number {
  const has = (s: SectionName): boolean => o.sections.includes(s);
  const layouts = layoutsOf(o.nodes, o.replication);
  return (
    (has('micro') ? MICRO.length : 0) +
    (has('embedded')
      ? embeddedStepCount({ ...o.embedded, workload: o.workload, layouts, runs: o.runs })
      : 0) +
    (has('tcp') ? serverStepCount(serverOptions(o)) : 0) +
    (has('memory') ? MEMORY_STEP_COUNT : 0) +
    (has('hit-ratio') ? hitRatioStepCount({ ...o.hitRatio, valueBytes: o.workload.valueBytes }) : 0)
  );
}

export async function runSuite(
  o: SuiteOptions,
  progress: Progress = SILENT_PROGRESS,
  command = 'npm run bench',
): Promise<BenchReport> {
  const startedMs = Date.now();
  const has = (s: SectionName): boolean => o.sections.includes(s);
  const cpuCount = cpus().length;
  const report: BenchReport = {
    schema: REPORT_SCHEMA,
    startedAt: new Date(startedMs).toISOString(),
    elapsedSec: 0,
    machine: describeMachine(),
    cpuCount,
    command,
    options: o,
    workload: o.workload,
    embedded: [],
    tcp: [],
    memory: [],
    hitRatio: { keyCount: o.hitRatio.keyCount, requestCount: o.hitRatio.requestCount, rows: [] },
    micro: [],
    skipped: SECTIONS.filter((s) => !has(s)).map((s) => ({
      what: `section ${s}`,
      reason: 'not selected (--only / --skip)',
    })),
    notes: {},
  };
  const loop = (l: SuiteOptions['embedded'], unit: string): string =>
    `Each cell: ${l.warmupMs / 1000} s warm-up, ${l.durationMs / 1000} s measured; the median of ${o.runs} run${o.runs > 1 ? 's' : ''} by ops/s (${unit}).`;

  if (has('micro')) {
    for (const [name, bench] of MICRO) {
      progress.start(`micro › ${name}`);
      const table = await bench(o.microTimeMs);
      report.micro.push(table);
      progress.finish(`${table.rows.length} rows`);
    }
  }

  if (has('embedded')) {
    const layouts = layoutsOf(o.nodes, o.replication);
    const rows = await benchEmbedded(
      { ...o.embedded, workload: o.workload, layouts, runs: o.runs },
      progress,
    );
    addRatios(rows, EMBEDDED_BASELINES);
    report.embedded.push(...rows);
    report.notes['embedded'] = [
      loop(o.embedded, "its latencies are that run's"),
      "vs columns: ops/s over the baseline's at the same C and D. piscina.run() per command hosts one CacheNode in one thread (with two, a get could miss the set made on the other) and copies values back; DistributedCache copies values back too, while CacheNode (direct) and lru-cache return the stored object.",
      'In-process systems share one event loop with the load driver, which costs them most of their time at this scale: their micro-benchmark rows show the bare cost.',
    ];
    if (Math.max(...o.nodes) > cpuCount) {
      report.notes['scaling'] = [
        `Past ${cpuCount} nodes the threads share ${cpuCount} cores with the main thread: the line then shows the cost of more threads, not more capacity.`,
      ];
    }
  }

  if (has('tcp')) {
    const { rows, skipped } = await benchServers(serverOptions(o), progress);
    report.tcp.push(...rows);
    if (skipped !== undefined)
      report.skipped.push({ what: 'memcached (TCP baseline)', reason: skipped });
    report.notes['tcp'] = [
      loop(o.tcp, "from the load generator's latency histogram"),
      `Servers and the load generator share ${cpuCount} cores. shardcache -t N: N worker nodes; R: copies of each key. vs memcached: ops/s over memcached's at the same C and D.`,
    ];
  }

  if (has('memory')) {
    const { rows, notes, skipped } = await measureMemory(
      o.memoryItems,
      o.workload.valueBytes,
      progress,
    );
    report.memory.push(...rows);
    report.notes['memory'] = notes;
    if (skipped !== undefined) report.skipped.push({ what: 'memcached (memory)', reason: skipped });
  }

  if (has('hit-ratio')) {
    const { rows, notes } = await benchHitRatio(
      { ...o.hitRatio, valueBytes: o.workload.valueBytes },
      progress,
    );
    report.hitRatio.rows.push(...rows);
    report.notes['hit-ratio'] = notes;
  }

  return { ...report, elapsedSec: Math.round((Date.now() - startedMs) / 100) / 10 };
}

/** Chart files the suite writes (and so may replace): stale ones go before a new run's land. */
const CHART_FILE = /^(throughput|latency|scaling|memory|hit-ratio)[-\w]*\.svg$/;

/**
 * Writes report.json, report.md and the charts to `o.outDir` (and the JSON to `o.jsonPath`);
 * returns the paths. Markdown and charts render from the JSON as written (6 significant digits),
 * so every copy of a figure, README's included, reads the same.
 */
export function writeReport(report: BenchReport, o: SuiteOptions): string[] {
  mkdirSync(o.outDir, { recursive: true });
  for (const file of readdirSync(o.outDir)) if (CHART_FILE.test(file)) rmSync(join(o.outDir, file));
  const json = toJsonText(report);
  const saved = JSON.parse(json) as BenchReport;
  const charts = buildCharts(saved);
  const written: string[] = [];
  const write = (path: string, content: string): void => {
    writeFileSync(path, content);
    written.push(path);
  };
  write(join(o.outDir, 'report.json'), json);
  if (o.jsonPath !== undefined) {
    mkdirSync(dirname(o.jsonPath), { recursive: true });
    write(o.jsonPath, json);
  }
  for (const chart of charts) write(join(o.outDir, chart.file), chart.svg);
  write(join(o.outDir, 'report.md'), renderReport(saved, charts));
  return written;
}
