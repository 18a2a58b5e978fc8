/**
 * The options of `npm run bench`: two presets (quick, the default, and --full) and flags that
 * override them. Parsing only: no side effects, so every message is testable.
 */

import { cpus } from 'node:os';

export const SECTIONS = ['micro', 'embedded', 'tcp', 'memory', 'hit-ratio'] as const;
export type SectionName = (typeof SECTIONS)[number];

/** The load every throughput and latency figure runs (seeded; built before timing). */
export interface WorkloadSpec {
  /** Distinct keys, "key:00000000" and up: 12 bytes each. */
  readonly keyCount: number;
  /** Zipf exponent of key popularity; 0 is uniform. */
  readonly zipfS: number;
  /** Share of gets; the rest are sets. */
  readonly getRatio: number;
  readonly valueBytes: number;
}

export interface SuiteOptions {
  readonly mode: 'quick' | 'full';
  readonly sections: readonly SectionName[];
  readonly workload: WorkloadSpec;
  /** Worker nodes of the embedded DistributedCache layouts (scaling with nodes). */
  readonly nodes: readonly number[];
  /** Replication factors crossed with `nodes` (a layout needs R ≤ nodes). */
  readonly replication: readonly number[];
  /** Median of this many runs per cell (by ops/s). */
  readonly runs: number;
  readonly embedded: LoopOptions;
  readonly tcp: LoopOptions & {
    /** Worker nodes of the shardcache server (`-t`), crossed with `replication`. */
    readonly nodes: readonly number[];
    /** Requests per load-generator trace (each connection starts at its own offset). */
    readonly traceOps: number;
  };
  /** Items bulk-loaded for memory per item. */
  readonly memoryItems: number;
  readonly hitRatio: {
    readonly keyCount: number;
    readonly requestCount: number;
    readonly zipfS: readonly number[];
    /** Cache sizes as a share of the key space. */
    readonly cacheFractions: readonly number[];
  };
  /** tinybench time per micro-benchmark task. */
  readonly microTimeMs: number;
  /** Where report.md, report.json and the SVGs go. */
  readonly outDir: string;
  /** A further copy of the JSON report (`--json FILE`). */
  readonly jsonPath: string | undefined;
}

export interface LoopOptions {
  /** Embedded: concurrent callers. TCP: connections. */
  readonly concurrency: readonly number[];
  /** Operations in flight per caller or connection. */
  readonly depth: readonly number[];
  readonly durationMs: number;
  readonly warmupMs: number;
}

const WORKLOAD: WorkloadSpec = { keyCount: 100_000, zipfS: 0.99, getRatio: 0.9, valueBytes: 100 };

/** The default: every section, bounded to about 2–3 minutes on 2 cores. */
export const QUICK: SuiteOptions = {
  mode: 'quick',
  sections: SECTIONS,
  workload: WORKLOAD,
  nodes: [1, 2, 4],
  replication: [1, 2],
  runs: 3,
  embedded: { concurrency: [1, 256], depth: [1], durationMs: 500, warmupMs: 200 },
  tcp: {
    concurrency: [50],
    depth: [1, 16],
    durationMs: 1_000,
    warmupMs: 500,
    nodes: [2],
    traceOps: 1 << 20,
  },
  memoryItems: 1_000_000,
  hitRatio: {
    keyCount: 100_000,
    requestCount: 1_000_000,
    zipfS: [0.8, 0.99],
    cacheFractions: [0.01, 0.1],
  },
  microTimeMs: 300,
  outDir: 'bench/results',
  jsonPath: undefined,
};

/** `--full`: longer windows, more layouts, depths and workloads (about 20 minutes on 2 cores). */
export const FULL: SuiteOptions = {
  ...QUICK,
  mode: 'full',
  nodes: [1, 2, 4, 8],
  embedded: { concurrency: [1, 16, 256], depth: [1, 8], durationMs: 2_000, warmupMs: 500 },
  tcp: { ...QUICK.tcp, depth: [1, 4, 16], durationMs: 5_000, warmupMs: 1_000, nodes: [1, 2, 4] },
  hitRatio: {
    keyCount: 1_000_000,
    requestCount: 10_000_000,
    zipfS: [0.6, 0.8, 0.99, 1.2],
    cacheFractions: [0.01, 0.1],
  },
  microTimeMs: 1_000,
};

export const HELP = `Usage: npm run bench -- [options]      (or: node dist/bench/run.js [options])

Runs the benchmark suite and writes report.md, report.json and one SVG per figure.
Default: a quick run (about 2-3 minutes on 2 cores); --full runs longer, with more layouts.

  --full                    longer windows, more nodes/depths/workloads (~20 minutes)
  --only <list>             sections to run: ${SECTIONS.join(',')}
  --skip <list>             sections to leave out
  --nodes <list>            worker nodes of the embedded cluster layouts (quick 1,2,4)
  --replication <list>      replication factors, crossed with --nodes (1,2)
  --tcp-nodes <list>        worker nodes of the shardcache server (quick 2)
  --concurrency <list>      callers (embedded) and connections (TCP): one list for both
                            (defaults: embedded 1,256; TCP 50)
  --depth <list>            operations in flight per caller or connection: one list for
                            both (defaults: embedded 1; TCP 1,16)
  --keys <n>                key space of the load (100000)
  --dist uniform|zipf       key popularity (zipf)
  --zipf <s>                Zipf exponent, implies --dist zipf (0.99)
  --get-ratio <r>           share of gets, 0..1 (0.9)
  --value-size <bytes>      value size (100)
  --duration <s>            measured seconds per run of a cell, both load sections
                            (quick: 0.5 embedded, 1 TCP; full: 2 and 5)
  --runs <n>                runs per cell, the median is reported (3)
  --memory-items <n>        items bulk-loaded for memory per item (1000000)
  --hit-keys <n>            key space of the eviction traces (quick 100000)
  --hit-requests <n>        requests per eviction trace (quick 1000000)
  --hit-zipf <list>         Zipf exponents of the eviction traces (quick 0.8,0.99)
  --cache-sizes <list>      cache sizes as a share of the key space (0.01,0.1)
  --micro-time <ms>         tinybench time per micro task (quick 300)
  --out <dir>               output directory (bench/results)
  --json <file>             also write the JSON report to <file>
  -h, --help                print this help
`;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The options `argv` asks for, or 'help'. Throws UsageError with a one-line message. */
export function parseOptions(argv: readonly string[]): SuiteOptions | 'help' {
  if (argv.includes('-h') || argv.includes('--help')) return 'help';
  const base = argv.includes('--full') ? FULL : QUICK;
  const o: Mutable<SuiteOptions> = { ...base };
  const workload: Mutable<WorkloadSpec> = { ...base.workload };
  const embedded: Mutable<SuiteOptions['embedded']> = { ...base.embedded };
  const tcp: Mutable<SuiteOptions['tcp']> = { ...base.tcp };
  const hitRatio: Mutable<SuiteOptions['hitRatio']> = { ...base.hitRatio };
  let only: SectionName[] | undefined;
  let skip: SectionName[] = [];
  let distribution: string | undefined;

  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === '--full') continue;
    const raw = argv[i + 1];
    if (raw === undefined || raw.startsWith('--')) throw new UsageError(`${flag} needs a value`);
    i++;
    switch (flag) {
      case '--only':
        only = sectionList(flag, raw);
        break;
      case '--skip':
        skip = sectionList(flag, raw);
        break;
      case '--nodes':
        o.nodes = intList(flag, raw, 1, 64);
        break;
      case '--replication':
        o.replication = intList(flag, raw, 1, 64);
        break;
      case '--tcp-nodes':
        tcp.nodes = intList(flag, raw, 1, 64);
        break;
      case '--concurrency':
        embedded.concurrency = tcp.concurrency = intList(flag, raw, 1, 100_000);
        break;
      case '--depth':
        embedded.depth = tcp.depth = intList(flag, raw, 1, 10_000);
        break;
      case '--keys':
        workload.keyCount = int(flag, raw, 1, 10_000_000);
        break;
      case '--dist':
        if (raw !== 'uniform' && raw !== 'zipf') throw new UsageError('--dist is uniform or zipf');
        distribution = raw;
        break;
      case '--zipf':
        workload.zipfS = num(flag, raw, 0, 10);
        distribution ??= 'zipf';
        break;
      case '--get-ratio':
        workload.getRatio = num(flag, raw, 0, 1);
        break;
      case '--value-size':
        workload.valueBytes = int(flag, raw, 1, 1024 * 1024);
        break;
      case '--duration':
        embedded.durationMs = tcp.durationMs = Math.round(num(flag, raw, 0.01, 3600) * 1000);
        break;
      case '--runs':
        o.runs = int(flag, raw, 1, 99);
        break;
      case '--memory-items':
        o.memoryItems = int(flag, raw, 1, 50_000_000);
        break;
      case '--hit-keys':
        hitRatio.keyCount = int(flag, raw, 10, 100_000_000);
        break;
      case '--hit-requests':
        hitRatio.requestCount = int(flag, raw, 1, 100_000_000);
        break;
      case '--hit-zipf':
        hitRatio.zipfS = list(flag, raw, (s) => num(flag, s, 0, 10));
        break;
      case '--cache-sizes':
        hitRatio.cacheFractions = list(flag, raw, (s) => num(flag, s, 1e-6, 1));
        break;
      case '--micro-time':
        o.microTimeMs = int(flag, raw, 10, 60_000);
        break;
      case '--out':
        o.outDir = raw;
        break;
      case '--json':
        o.jsonPath = raw;
        break;
      default:
        throw new UsageError(`unknown option ${flag} (see --help)`);
    }
  }
  if (distribution === 'uniform') workload.zipfS = 0;
  o.sections = (only ?? SECTIONS).filter((s) => !skip.includes(s));
  return { ...o, workload, embedded, tcp, hitRatio };
}

/** "2 × AMD EPYC …" and the rest of what a reader needs to weigh the figures. */
export function describeMachine(): string {
  const list = cpus();
  return `${list.length} × ${list[0]?.model.trim() ?? 'cpu'}, Node ${process.version}, ${process.platform}`;
}

function sectionList(flag: string, raw: string): SectionName[] {
  return list(flag, raw, (s) => {
    const name = SECTIONS.find((known) => known === s);
    if (name === undefined) throw new UsageError(`${flag}: unknown section ${s}`);
    return name;
  });
}

function list<T>(flag: string, raw: string, parse: (item: string) => T): T[] {
  const items = raw.split(',').filter((s) => s !== '');
  if (items.length === 0) throw new UsageError(`${flag} needs at least one value`);
  return items.map(parse);
}

function intList(flag: string, raw: string, min: number, max: number): number[] {
  return list(flag, raw, (s) => int(flag, s, min, max));
}

function int(flag: string, raw: string, min: number, max: number): number {
  const value = num(flag, raw, min, max);
  if (!Number.isInteger(value)) throw new UsageError(`${flag} takes whole numbers, not ${raw}`);
  return value;
}

function num(flag: string, raw: string, min: number, max: number): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < min || value > max) {
    throw new UsageError(`${flag} takes numbers from ${min} to ${max}, not ${raw}`);
  }
  return value;
}
