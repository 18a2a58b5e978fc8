/**
 * The JSON report `npm run bench` writes (report.json): every figure of report.md and the
 * charts, with the options that produced it. Figures keep 6 significant digits in the file;
 * tables and charts round further when they render.
 */

import type { BenchTable } from '../fixtures/bench-table.js';
import type { SuiteOptions, WorkloadSpec } from './options.js';

export const REPORT_SCHEMA = 'shardcache-bench/1';

/** The embedded systems every embedded row's ops/s is divided by (same C and D). */
export const EMBEDDED_BASELINES = ['lru-cache@11', 'piscina.run() per command'] as const;
/** The TCP baseline: stock memcached with as many threads as the machine has cores here. */
export const MEMCACHED = 'memcached -t 2';
/** memcached's row of the memory table. */
export const MEMCACHED_STORE = 'memcached 1.6 (-t 2)';

/** Who the row is: the system under test, a baseline it is compared with, or a floor. */
export type RowKind = 'shardcache' | 'baseline' | 'floor';

/** One cell of a load section: a system at one concurrency and depth (median of `runs`). */
export interface LoadRow {
  readonly system: string;
  readonly kind: RowKind;
  /** Worker nodes and replication factor, for shardcache layouts; null otherwise. */
  readonly nodes: number | null;
  readonly replication: number | null;
  /** Callers (embedded) or connections (TCP). */
  readonly concurrency: number;
  readonly depth: number;
  readonly opsPerSec: number;
  readonly ops: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly p999Us: number;
  /** Share of gets that hit; null where the system stores nothing (a bare round trip). */
  readonly hitRatio: number | null;
  readonly runs: number;
  /** Lowest and highest ops/s of the runs: how far one run can be from the median. */
  readonly opsPerSecRange: readonly [number, number];
  /** ops/s divided by each baseline's at the same concurrency and depth. */
  ratios: Record<string, number>;
}

export interface MemoryRow {
  readonly store: string;
  readonly items: number;
  readonly rssBytesPerItem: number;
  /** JS heap used per item; null for memcached (no JS heap). */
  readonly heapBytesPerItem: number | null;
}

export interface HitRatioRow {
  readonly zipfS: number;
  readonly cacheFraction: number;
  readonly capacityItems: number;
  /** 'opt', a CacheNode policy, or 'lru-cache@11' (a cross-check of CacheNode's lru). */
  readonly policy: string;
  readonly hitRatio: number;
}

export interface BenchReport {
  readonly schema: typeof REPORT_SCHEMA;
  /** ISO time the run started. */
  readonly startedAt: string;
  readonly elapsedSec: number;
  readonly machine: string;
  readonly cpuCount: number;
  readonly command: string;
  readonly options: SuiteOptions;
  readonly workload: WorkloadSpec;
  readonly embedded: LoadRow[];
  readonly tcp: LoadRow[];
  readonly memory: MemoryRow[];
  readonly hitRatio: {
    readonly keyCount: number;
    readonly requestCount: number;
    readonly rows: HitRatioRow[];
  };
  readonly micro: BenchTable[];
  /** Sections or systems left out, and why. */
  readonly skipped: { readonly what: string; readonly reason: string }[];
  /** Remarks on how figures were taken, shown under the tables. */
  readonly notes: Record<string, string[]>;
}

/** Lowest and highest ops/s among a cell's runs. */
export function rangeOf(runs: readonly { readonly opsPerSec: number }[]): [number, number] {
  const all = runs.map((r) => r.opsPerSec);
  return [Math.min(...all), Math.max(...all)];
}

/** The median of a cell's runs by ops/s (its latencies come from that same run). */
export function medianRun<T extends { readonly opsPerSec: number }>(runs: readonly T[]): T {
  const sorted = [...runs].sort((a, b) => a.opsPerSec - b.opsPerSec);
  const middle = sorted[Math.floor((sorted.length - 1) / 2)];
  if (middle === undefined) throw new Error('no runs to take the median of');
  return middle;
}

/**
 * Fills each row's `ratios`: its ops/s over each baseline's at the same concurrency and depth.
 */
export function addRatios(rows: readonly LoadRow[], baselines: readonly string[]): void {
  for (const row of rows) {
    for (const name of baselines) {
      const base = rows.find(
        (r) => r.system === name && r.concurrency === row.concurrency && r.depth === row.depth,
      );
      if (base !== undefined && base.opsPerSec > 0)
        row.ratios[name] = row.opsPerSec / base.opsPerSec;
    }
  }
}

/** Page width Biome formats the repository's JSON to (biome.json `lineWidth`). */
const JSON_LINE_WIDTH = 100;

/**
 * The report as JSON text laid out as Biome formats JSON (objects expanded, short arrays of
 * scalars on one line), so `npm run lint` accepts the committed file as written. Fractions keep
 * 6 significant digits: the measurements carry no more.
 */
export function toJsonText(value: unknown): string {
  return `${layout(value, '', 0)}\n`;
}

function layout(value: unknown, indent: string, column: number): string {
  if (typeof value === 'number') {
    return JSON.stringify(Number.isInteger(value) ? value : Number(value.toPrecision(6)));
  }
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    if (value.every((v) => v === null || typeof v !== 'object')) {
      const inline = `[${value.map((v) => layout(v, inner, 0)).join(', ')}]`;
      // +1: the comma that may follow
      if (column + inline.length + 1 <= JSON_LINE_WIDTH) return inline;
    }
    const items = value.map((v) => `${inner}${layout(v, inner, inner.length)}`);
    return `[\n${items.join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '{}';
  const fields = entries.map(([k, v]) => {
    const head = `${inner}${JSON.stringify(k)}: `;
    return `${head}${layout(v, inner, head.length)}`;
  });
  return `{\n${fields.join(',\n')}\n${indent}}`;
}
