/**
 * The report as Markdown: one table per figure, padded so the source reads as a table too, with
 * ratios against the baselines measured in the same run, chart links and the notes that say how
 * each figure was taken. `renderReport` writes report.md; `renderSummary` the README section.
 */

import type { BenchTable } from '../fixtures/bench-table.js';
import {
  type BenchReport,
  EMBEDDED_BASELINES,
  type HitRatioRow,
  type LoadRow,
  MEMCACHED,
  MEMCACHED_STORE,
  type MemoryRow,
} from '../suite/report.js';
import type { ChartFile } from './charts.js';
import { formatCount, formatMicros, formatPercent, formatRatio } from './format.js';

export interface Table {
  readonly columns: readonly string[];
  /** Columns printed right-aligned (numbers). */
  readonly numeric?: readonly boolean[];
  readonly rows: readonly (readonly string[])[];
}

export function markdownTable(table: Table): string {
  const widths = table.columns.map((c, i) =>
    Math.max(c.length, 3, ...table.rows.map((r) => (r[i] ?? '').length)),
  );
  const isNumeric = (i: number): boolean => table.numeric?.[i] === true;
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((v, i) => (isNumeric(i) ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (isNumeric(i) ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  return `${[line(table.columns), rule, ...table.rows.map(line)].join('\n')}\n`;
}

/** A short column name for a baseline ("vs memcached"). */
export function baselineLabel(name: string): string {
  return name
    .replace(/@\d+$/, '')
    .replace(/\(\) per command$/, '')
    .replace(/ -t \d+$/, '');
}

export function loadTable(rows: readonly LoadRow[], baselines: readonly string[]): Table {
  return {
    columns: [
      'system',
      'C',
      'D',
      'ops/s',
      'runs ±',
      ...baselines.map((b) => `vs ${baselineLabel(b)}`),
      'p50 µs',
      'p99 µs',
      'p999 µs',
      'hit %',
    ],
    numeric: [false, true, true, true, true, ...baselines.map(() => true), true, true, true, true],
    rows: rows.map((r) => [
      r.kind === 'shardcache' ? `**${r.system}**` : r.system,
      String(r.concurrency),
      String(r.depth),
      formatCount(r.opsPerSec),
      formatSpread(r),
      ...baselines.map((b) => formatRatio(r.ratios[b])),
      formatMicros(r.p50Us),
      formatMicros(r.p99Us),
      formatMicros(r.p999Us),
      formatPercent(r.hitRatio),
    ]),
  };
}

/** Half the runs' ops/s range over the median: "±4%", or "–" for a single run. */
function formatSpread(r: LoadRow): string {
  const [low, high] = r.opsPerSecRange;
  if (r.runs < 2 || r.opsPerSec <= 0) return '–';
  return `±${Math.round(((high - low) / 2 / r.opsPerSec) * 100)}%`;
}

/** The cluster's throughput by nodes (rows) and replication (columns), at the highest C. */
export function scalingTable(rows: readonly LoadRow[]): Table | undefined {
  const cells = scalingCells(rows);
  if (cells === undefined) return undefined;
  const { nodes, replications, at, base } = cells;
  return {
    columns: ['nodes', ...replications.map((r) => `R=${r} ops/s`)],
    numeric: [true, ...replications.map(() => true)],
    rows: nodes.map((n) => [
      String(n),
      ...replications.map((r) => {
        const row = at(n, r);
        return row === undefined
          ? '–'
          : `${formatCount(row.opsPerSec)} (${formatRatio(row.opsPerSec / base)})`;
      }),
    ]),
  };
}

/** The shardcache rows of the scaling figure: highest concurrency, lowest depth. */
export function scalingCells(rows: readonly LoadRow[]):
  | {
      readonly nodes: number[];
      readonly replications: number[];
      readonly concurrency: number;
      readonly depth: number;
      at(nodes: number, replication: number): LoadRow | undefined;
      /** ops/s of the smallest layout, what the ratios are taken against. */
      readonly base: number;
    }
  | undefined {
  const cluster = rows.filter((r) => r.kind === 'shardcache' && r.nodes !== null);
  if (cluster.length === 0) return undefined;
  const concurrency = Math.max(...cluster.map((r) => r.concurrency));
  const depth = Math.min(...cluster.map((r) => r.depth));
  const chosen = cluster.filter((r) => r.concurrency === concurrency && r.depth === depth);
  const nodes = [...new Set(chosen.map((r) => r.nodes!))].sort((a, b) => a - b);
  const replications = [...new Set(chosen.map((r) => r.replication!))].sort((a, b) => a - b);
  const at = (n: number, r: number): LoadRow | undefined =>
    chosen.find((row) => row.nodes === n && row.replication === r);
  const baseRow = at(nodes[0]!, replications[0]!) ?? chosen[0]!;
  return { nodes, replications, concurrency, depth, at, base: baseRow.opsPerSec };
}

export function memoryTable(rows: readonly MemoryRow[]): Table {
  const memcached = rows.find((r) => r.store === MEMCACHED_STORE);
  return {
    columns: ['store', 'RSS B/item', 'vs memcached', 'JS heap B/item'],
    numeric: [false, true, true, true],
    rows: rows.map((r) => [
      r.store,
      formatCount(r.rssBytesPerItem),
      memcached === undefined ? '–' : formatRatio(r.rssBytesPerItem / memcached.rssBytesPerItem),
      r.heapBytesPerItem === null ? '–' : r.heapBytesPerItem.toFixed(1),
    ]),
  };
}

/** One row per trace and cache size; each policy's hit ratio and its share of OPT's. */
export function hitRatioTable(rows: readonly HitRatioRow[]): Table {
  const policies = [...new Set(rows.map((r) => r.policy))];
  const cases = [...new Set(rows.map((r) => `${r.zipfS}|${r.cacheFraction}`))];
  return {
    columns: ['Zipf s', 'cache', ...policies.map((p) => (p === 'opt' ? 'OPT' : p))],
    numeric: [true, true, ...policies.map(() => true)],
    rows: cases.map((c) => {
      const own = rows.filter((r) => `${r.zipfS}|${r.cacheFraction}` === c);
      const opt = own.find((r) => r.policy === 'opt');
      const first = own[0]!;
      return [
        String(first.zipfS),
        `${formatShare(first.cacheFraction)} (${formatCount(first.capacityItems)})`,
        ...policies.map((p) => {
          const row = own.find((r) => r.policy === p);
          if (row === undefined) return '–';
          if (p === 'opt' || opt === undefined || opt.hitRatio === 0)
            return formatPercent(row.hitRatio);
          return `${formatPercent(row.hitRatio)} (${(row.hitRatio / opt.hitRatio).toFixed(2)})`;
        }),
      ];
    }),
  };
}

/** A cache size as a share of the key space: 0.01 → "1%". */
export function formatShare(fraction: number): string {
  return `${Number((fraction * 100).toPrecision(3))}%`;
}

export function microTable(table: BenchTable): Table {
  const columns = Object.keys(table.rows[0] ?? {});
  return {
    columns,
    numeric: columns.map((c) => typeof table.rows[0]?.[c] === 'number'),
    rows: table.rows.map((row) =>
      columns.map((c) => {
        const v = row[c];
        return typeof v === 'number' && Math.abs(v) >= 1000 ? formatCount(v) : String(v ?? '');
      }),
    ),
  };
}

interface RenderOptions {
  /** Prefix of chart links: '' beside report.md, 'bench/results/' from README. */
  readonly imagePrefix: string;
  /** '##' in report.md; '###' under README's "## Benchmarks". */
  readonly heading: string;
  /** README: no micro-benchmarks, and the per-cell latency charts as links, not images. */
  readonly isSummary: boolean;
}

/** report.md: every section that ran, its tables, charts and notes. */
export function renderReport(report: BenchReport, charts: readonly ChartFile[]): string {
  return `# shardcache benchmark report\n\n${renderSections(report, charts, {
    imagePrefix: '',
    heading: '##',
    isSummary: false,
  })}`;
}

/** The README's Benchmarks section body (without its heading and first paragraph). */
export function renderSummary(report: BenchReport, charts: readonly ChartFile[]): string {
  return renderSections(report, charts, {
    imagePrefix: 'bench/results/',
    heading: '###',
    isSummary: true,
  });
}

function renderSections(
  report: BenchReport,
  charts: readonly ChartFile[],
  o: RenderOptions,
): string {
  const out: string[] = [];
  const w = report.workload;
  const minutes = `${Math.floor(report.elapsedSec / 60)} min ${Math.round(report.elapsedSec % 60)} s`;
  out.push(
    `Measured ${report.startedAt.slice(0, 10)} on ${report.machine}, in ${minutes} ` +
      `(${report.options.mode}): \`${report.command}\`. ` +
      `${o.isSummary ? 'Full report with the micro-benchmarks: [bench/results/report.md](bench/results/report.md). ' : ''}` +
      'Ratios compare systems measured in the same run.' +
      `${o.isSummary ? ' `npm run bench -- --full` runs longer with more layouts; `npm run bench -- --help` lists the options.' : ''}`,
    '',
    `Load workload: ${formatCount(w.keyCount)} keys (12 B), ` +
      `${w.zipfS === 0 ? 'uniform' : `Zipf s=${w.zipfS}`}, ${formatPercent(w.getRatio)} gets, ` +
      `${w.valueBytes} B values, seeded; every store filled with all keys first. ` +
      "C = callers or connections, D = operations in flight per caller, runs ± = half the range of the runs' ops/s around the median; latencies from a log-linear (HDR-layout) histogram, within 0.1%.",
  );
  const section = (
    title: string,
    chartSection: ChartFile['section'],
    intro: string,
    tables: readonly (Table | undefined)[],
    noteKey: string,
  ): void => {
    const present = tables.filter((t): t is Table => t !== undefined && t.rows.length > 0);
    if (present.length === 0) return;
    out.push('', `${o.heading} ${title}`, '', intro);
    for (const t of present) out.push('', markdownTable(t).trimEnd());
    const images = charts.filter((c) => c.section === chartSection);
    const isLink = (c: ChartFile): boolean => o.isSummary && c.file.startsWith('latency-');
    const shown = images.filter((c) => !isLink(c));
    const linked = images.filter(isLink);
    if (shown.length > 0) {
      out.push('', shown.map((c) => `![${c.title}](${o.imagePrefix}${c.file})`).join('\n'));
    }
    if (linked.length > 0) {
      const links = linked.map((c) => `[${c.title}](${o.imagePrefix}${c.file})`);
      out.push('', `Latency charts: ${links.join(' · ')}.`);
    }
    for (const note of report.notes[noteKey] ?? []) out.push('', note);
  };
  section(
    'Embedded: throughput and latency',
    'embedded',
    'One process, one closed loop for every system: in-process caches, one `piscina.run()` per command (one thread), a bare worker round trip, and `DistributedCache` over worker threads.',
    [loadTable(report.embedded, EMBEDDED_BASELINES)],
    'embedded',
  );
  const scaling = scalingCells(report.embedded);
  section(
    'Scaling with nodes',
    'scaling',
    scaling === undefined
      ? ''
      : `DistributedCache ops/s by worker nodes and replication factor at C=${scaling.concurrency}, D=${scaling.depth}; (×) against the first cell. The machine has ${report.cpuCount} cores, shared by the loop and the nodes.`,
    [scalingTable(report.embedded)],
    'scaling',
  );
  section(
    'TCP server vs stock memcached',
    'tcp',
    'Each server in its own process, the load generator in another (memcached text protocol, pipelined), all on this machine.',
    [loadTable(report.tcp, [MEMCACHED])],
    'tcp',
  );
  section(
    'Memory per item',
    'memory',
    'Process growth after a bulk load, divided by the items stored.',
    [memoryTable(report.memory)],
    'memory',
  );
  section(
    'Hit ratio per eviction policy vs OPT',
    'hit-ratio',
    "Hit ratio (and, in brackets, its share of OPT's) of CacheNode with each policy on Zipf traces whose key space is larger than the cache.",
    [hitRatioTable(report.hitRatio.rows)],
    'hit-ratio',
  );
  if (!o.isSummary && report.micro.length > 0) {
    out.push('', `${o.heading} Micro-benchmarks`);
    for (const table of report.micro) {
      out.push('', `**${table.title}**`, '', markdownTable(microTable(table)).trimEnd());
      for (const note of table.notes ?? []) out.push('', note);
    }
  }
  if (report.skipped.length > 0) {
    out.push('', `${o.heading} Skipped`, '');
    for (const s of report.skipped) out.push(`- ${s.what}: ${s.reason}`);
  }
  return `${out.join('\n')}\n`;
}
