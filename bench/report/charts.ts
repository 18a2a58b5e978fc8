/**
 * One SVG per figure of the report: throughput per system, latency percentiles per system (one
 * chart per concurrency and depth), throughput against nodes, memory per item, and hit ratio per
 * policy next to OPT.
 */

import { type BenchReport, EMBEDDED_BASELINES, type LoadRow } from '../suite/report.js';
import { formatMicros, formatPercent, formatShort } from './format.js';
import { formatShare, scalingCells } from './markdown.js';
import { barChart, type LineSeries, lineChart, PALETTE, type Series } from './svg.js';

export interface ChartFile {
  /** File name inside the output directory. */
  readonly file: string;
  readonly title: string;
  /** The report section it illustrates. */
  readonly section: 'embedded' | 'scaling' | 'tcp' | 'memory' | 'hit-ratio';
  readonly svg: string;
}

const PERCENTILES: readonly Series[] = [
  { name: 'p50', color: PALETTE[0]! },
  { name: 'p99', color: PALETTE[1]! },
  { name: 'p999', color: PALETTE[5]! },
];

export function buildCharts(report: BenchReport): ChartFile[] {
  const charts: ChartFile[] = [];
  const w = report.workload;
  const workload = `${formatShort(w.keyCount)} keys, ${w.zipfS === 0 ? 'uniform' : `Zipf ${w.zipfS}`}, ${Math.round(w.getRatio * 100)}% get, ${w.valueBytes} B values · ${report.machine} · ${report.startedAt.slice(0, 10)}`;
  if (report.embedded.length > 0) {
    charts.push(
      throughputChart(
        'embedded',
        'Embedded throughput (ops/s, log scale)',
        report.embedded,
        workload,
      ),
    );
    charts.push(...latencyCharts('embedded', 'Embedded latency', report.embedded, workload));
  }
  const scaling = scalingChart(report, workload);
  if (scaling !== undefined) charts.push(scaling);
  if (report.tcp.length > 0) {
    charts.push(
      throughputChart(
        'tcp',
        'TCP throughput vs stock memcached (ops/s, log scale)',
        report.tcp,
        workload,
      ),
    );
    charts.push(...latencyCharts('tcp', 'TCP latency', report.tcp, workload));
  }
  if (report.memory.length > 0) {
    const items = report.memory[0]!.items;
    charts.push({
      file: 'memory.svg',
      title: 'Memory per item',
      section: 'memory',
      svg: barChart({
        title: `Memory per item after a bulk load of ${formatShort(items)} items`,
        subtitle: `12 B keys, ${w.valueBytes} B values · ${report.machine}`,
        series: [
          { name: 'RSS bytes per item', color: PALETTE[0]! },
          { name: 'JS heap bytes per item', color: PALETTE[1]! },
        ],
        groups: report.memory.map((r) => ({
          label: r.store,
          values: [r.rssBytesPerItem, r.heapBytesPerItem ?? undefined],
          isEmphasized: r.store.startsWith('CacheNode') || r.store.startsWith('Distributed'),
        })),
        axisLabel: 'bytes per item',
        scale: 'linear',
        format: (v) => String(Math.round(v)),
      }),
    });
  }
  const hit = report.hitRatio;
  if (hit.rows.length > 0) {
    // lru-cache@11 is left out: it scores exactly as CacheNode lru (the table says so)
    const policies = ['opt', 'lru', 'lfu', 'fifo', 'ttl'].filter((p) =>
      hit.rows.some((r) => r.policy === p),
    );
    const cases = [...new Set(hit.rows.map((r) => `${r.zipfS}|${r.cacheFraction}`))];
    charts.push({
      file: 'hit-ratio.svg',
      title: 'Hit ratio per eviction policy vs OPT',
      section: 'hit-ratio',
      svg: barChart({
        title: 'Hit ratio per eviction policy vs OPT (Belady)',
        subtitle: `${formatShort(hit.requestCount)} gets over ${formatShort(hit.keyCount)} keys per trace, demand fill, cold start · CacheNode`,
        series: policies.map((p, i) => ({
          name: p === 'opt' ? 'OPT' : p,
          color: p === 'opt' ? '#555555' : PALETTE[i - 1]!,
        })),
        groups: cases.map((c) => {
          const own = hit.rows.filter((r) => `${r.zipfS}|${r.cacheFraction}` === c);
          const first = own[0]!;
          return {
            label: `Zipf ${first.zipfS}, cache ${formatShare(first.cacheFraction)} of keys`,
            values: policies.map((p) => own.find((r) => r.policy === p)?.hitRatio),
          };
        }),
        axisLabel: 'hit ratio',
        scale: 'linear',
        max: 1,
        format: (v) => formatPercent(v),
        tickFormat: (v) => `${Math.round(v * 100)}%`,
      }),
    });
  }
  return charts;
}

/** Distinct (C, D) cells of a section, in the order they ran. */
function cellsOf(rows: readonly LoadRow[]): { concurrency: number; depth: number }[] {
  const seen = new Map<string, { concurrency: number; depth: number }>();
  for (const r of rows)
    seen.set(`${r.concurrency}|${r.depth}`, { concurrency: r.concurrency, depth: r.depth });
  return [...seen.values()];
}

function systemsOf(rows: readonly LoadRow[]): LoadRow[] {
  const seen = new Map<string, LoadRow>();
  for (const r of rows) if (!seen.has(r.system)) seen.set(r.system, r);
  return [...seen.values()];
}

function throughputChart(
  section: 'embedded' | 'tcp',
  title: string,
  rows: readonly LoadRow[],
  subtitle: string,
): ChartFile {
  const cells = cellsOf(rows);
  return {
    file: `throughput-${section}.svg`,
    title,
    section,
    svg: barChart({
      title,
      subtitle,
      series: cells.map((c, i) => ({
        name: `C=${c.concurrency} D=${c.depth}`,
        color: PALETTE[i % PALETTE.length]!,
      })),
      groups: systemsOf(rows).map((s) => ({
        label: s.system,
        isEmphasized: s.kind === 'shardcache',
        values: cells.map(
          (c) =>
            rows.find(
              (r) =>
                r.system === s.system && r.concurrency === c.concurrency && r.depth === c.depth,
            )?.opsPerSec,
        ),
      })),
      axisLabel: 'operations per second',
      scale: 'log',
      format: formatShort,
    }),
  };
}

function latencyCharts(
  section: 'embedded' | 'tcp',
  title: string,
  rows: readonly LoadRow[],
  subtitle: string,
): ChartFile[] {
  return cellsOf(rows).map((c) => {
    const own = rows.filter((r) => r.concurrency === c.concurrency && r.depth === c.depth);
    const name = `${title} at C=${c.concurrency}, D=${c.depth} (µs, log scale)`;
    return {
      file: `latency-${section}-c${c.concurrency}-d${c.depth}.svg`,
      title: name,
      section,
      svg: barChart({
        title: name,
        subtitle,
        series: PERCENTILES,
        groups: own.map((r) => ({
          label: r.system,
          isEmphasized: r.kind === 'shardcache',
          values: [r.p50Us, r.p99Us, r.p999Us],
        })),
        axisLabel: 'latency per operation, µs',
        scale: 'log',
        format: formatMicros,
        tickFormat: formatShort,
      }),
    };
  });
}

/** ops/s of the cluster against nodes, a line per replication factor, baselines dashed. */
function scalingChart(report: BenchReport, subtitle: string): ChartFile | undefined {
  const cells = scalingCells(report.embedded);
  if (cells === undefined || cells.nodes.length < 2) return undefined;
  const { nodes, replications, concurrency, depth } = cells;
  const series: LineSeries[] = replications.map((r, i) => ({
    name: `DistributedCache R=${r}`,
    color: PALETTE[i]!,
    values: nodes.map((n) => cells.at(n, r)?.opsPerSec),
  }));
  const baseline = EMBEDDED_BASELINES[1];
  const reference = report.embedded.find(
    (r) => r.system === baseline && r.concurrency === concurrency && r.depth === depth,
  );
  if (reference !== undefined) {
    series.push({
      name: `${baseline} (1 thread)`,
      color: '#777777',
      values: nodes.map(() => reference.opsPerSec),
      isDashed: true,
    });
  }
  // the TCP server's layouts too, when the run had several node counts (--full)
  const tcpDepth = Math.min(...report.tcp.map((t) => t.depth));
  const tcp = report.tcp.filter((r) => r.kind === 'shardcache' && r.depth === tcpDepth);
  const tcpNodes = new Set(tcp.map((r) => r.nodes));
  if (tcpNodes.size > 1) {
    for (const r of replications) {
      series.push({
        name: `TCP server R=${r} (C=${tcp[0]?.concurrency}, D=${tcpDepth})`,
        color: PALETTE[(replications.length + r) % PALETTE.length]!,
        values: nodes.map(
          (n) => tcp.find((row) => row.nodes === n && row.replication === r)?.opsPerSec,
        ),
      });
    }
  }
  const title = `Throughput vs worker nodes (C=${concurrency}, D=${depth})`;
  return {
    file: 'scaling-nodes.svg',
    title,
    section: 'scaling',
    svg: lineChart({
      title,
      subtitle,
      xValues: nodes,
      xLabel: `worker nodes (${report.cpuCount} cores on this machine)`,
      yLabel: 'operations per second',
      series,
      format: formatShort,
    }),
  };
}
