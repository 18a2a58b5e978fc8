/**
 * shardcache's TCP server against stock memcached (`-t 2`) in the same run, under the same load:
 * C connections × D requests in flight over a seeded trace. Each server runs in its own process,
 * and so does the load generator (`memcache-load.ts`), which times every request into a latency histogram. Runs
 * are interleaved across servers so drift hits all alike; each cell is the median of its runs.
 * memcached is skipped with a note when it is not installed.
 *
 * In the suite: `npm run bench -- --only tcp`. Alone (`npm run bench:load`): the longer runs of
 * `--full` for the CLI's default layout, saved to bench/results/load.{json,md}.
 */

import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { builtFile } from '../fixtures/built-file.js';
import { loadTable, markdownTable } from '../report/markdown.js';
import { describeMachine, FULL, type LoopOptions, type WorkloadSpec } from '../suite/options.js';
import { ConsoleProgress, type Progress } from '../suite/progress.js';
import { addRatios, type LoadRow, MEMCACHED, medianRun, rangeOf } from '../suite/report.js';
import { formatLoad, type Layout } from './embedded.bench.js';
import type { LoadOptions, LoadResult } from './memcache-load.js';
import {
  requireMemcached,
  type ServerProcess,
  startMemcached,
  startShardcacheCli,
} from './processes.js';

export interface ServerBenchOptions extends LoopOptions {
  readonly workload: WorkloadSpec;
  /** shardcache server layouts (`-t nodes --replication r`). */
  readonly layouts: readonly Layout[];
  readonly runs: number;
  readonly traceOps: number;
}

export interface ServerBenchResult {
  readonly rows: LoadRow[];
  /** Why memcached's rows are missing, if they are. */
  readonly skipped: string | undefined;
}

interface Contender {
  readonly name: string;
  readonly layout: Layout | undefined;
  readonly server: ServerProcess;
}

/** undefined if stock memcached is installed, else why its rows are skipped. */
export function memcachedMissing(): string | undefined {
  try {
    requireMemcached();
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** Steps the section takes (one per server, connections, depth and run), for the progress bar. */
export function serverStepCount(o: ServerBenchOptions): number {
  const servers = o.layouts.length + (memcachedMissing() === undefined ? 1 : 0);
  return servers * o.concurrency.length * o.depth.length * o.runs;
}

export async function benchServers(
  o: ServerBenchOptions,
  progress: Progress,
): Promise<ServerBenchResult> {
  const skipped = memcachedMissing();
  if (skipped !== undefined) progress.note(`memcached skipped: ${skipped}`);
  const maxReplication = Math.max(1, ...o.layouts.map((l) => l.replication));
  // Both servers get room for every key (memcached's -m also pays ~60 B of item header, and
  // shardcache's is split over its nodes with every key stored R times).
  const itemBytes = 12 + o.workload.valueBytes + 64;
  const memoryMiB = Math.max(
    1024,
    Math.ceil((o.workload.keyCount * itemBytes * maxReplication * 1.5) / 2 ** 20),
  );
  const common = ['-m', String(memoryMiB), '-c', '4096'];
  const contenders: Contender[] = [];
  try {
    if (skipped === undefined) {
      progress.start('tcp › starting memcached');
      contenders.push({ name: MEMCACHED, layout: undefined, server: await startMemcached(common) });
    }
    for (const layout of o.layouts) {
      const name = `shardcache -t ${layout.nodes} R=${layout.replication}`;
      progress.start(`tcp › starting ${name}`);
      const args = ['-t', String(layout.nodes), '--replication', String(layout.replication)];
      contenders.push({ name, layout, server: await startShardcacheCli([...args, ...common]) });
    }
    for (const c of contenders) {
      progress.start(`tcp › ${c.name}: check, then fill ${o.workload.keyCount} keys`);
      await checkServer(c.name, c.server.port);
      await runLoader({ ...loaderOptions(o, c.server.port, 1, 1), preload: true });
    }
    const results = new Map<string, LoadResult[]>();
    for (let run = 0; run < o.runs; run++) {
      for (const connections of o.concurrency) {
        for (const depth of o.depth) {
          for (const c of contenders) {
            progress.start(`tcp › ${c.name} C=${connections} D=${depth} run ${run + 1}/${o.runs}`);
            const r = await runLoader(loaderOptions(o, c.server.port, connections, depth));
            if (r.errors > 0 || (o.workload.getRatio > 0 && r.hits === 0)) {
              throw new Error(`${c.name}: ${r.errors} error replies, ${r.hits} hits`);
            }
            const cell = `${c.name}|${connections}|${depth}`;
            results.set(cell, [...(results.get(cell) ?? []), r]);
            progress.finish(formatLoad(r));
          }
        }
      }
    }
    const rows: LoadRow[] = [];
    for (const connections of o.concurrency) {
      for (const depth of o.depth) {
        for (const c of contenders) {
          const runs = results.get(`${c.name}|${connections}|${depth}`) ?? [];
          const r = medianRun(runs);
          const gets = r.hits + r.misses;
          rows.push({
            system: c.name,
            kind: c.layout === undefined ? 'baseline' : 'shardcache',
            nodes: c.layout?.nodes ?? null,
            replication: c.layout?.replication ?? null,
            concurrency: connections,
            depth,
            opsPerSec: r.opsPerSec,
            ops: r.ops,
            p50Us: r.p50Us,
            p99Us: r.p99Us,
            p999Us: r.p999Us,
            hitRatio: gets > 0 ? r.hits / gets : null,
            runs: o.runs,
            opsPerSecRange: rangeOf(runs),
            ratios: {},
          });
        }
      }
    }
    addRatios(rows, [MEMCACHED]);
    return { rows, skipped };
  } finally {
    // each stop waits for its process to exit (SIGKILL after 5 s): all at once, not in turn
    await Promise.all(contenders.map((c) => c.server.stop()));
  }
}

function loaderOptions(
  o: ServerBenchOptions,
  port: number,
  connections: number,
  depth: number,
): LoadOptions {
  return {
    port,
    host: '127.0.0.1',
    connections,
    depth,
    warmupMs: o.warmupMs,
    durationMs: o.durationMs,
    preload: false,
    keyCount: o.workload.keyCount,
    getRatio: o.workload.getRatio,
    valueBytes: o.workload.valueBytes,
    zipfS: o.workload.zipfS,
    seed: 42,
    traceOps: o.traceOps,
  };
}

/** Runs the load generator in a child process; bounded by the run's length plus a margin. */
function runLoader(options: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(builtFile('./memcache-load.js', import.meta.url), [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let result: LoadResult | undefined;
    const timer = setTimeout(
      () => {
        if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
        reject(new Error('load generator timed out'));
      },
      options.warmupMs + options.durationMs + 180_000,
    );
    child.once('message', (message: LoadResult) => {
      result = message;
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (result !== undefined) resolve(result);
      else reject(new Error(`load generator exited with ${code}`));
    });
    child.send(options);
  });
}

/** A contender must answer a set and a get exactly before it is timed. */
function checkServer(name: string, port: number): Promise<void> {
  const expected = 'STORED\r\nVALUE check 5 2\r\nok\r\nEND\r\n';
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`${name}: no answer to the check`));
    }, 5_000);
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (text.length < expected.length) return;
      clearTimeout(timer);
      socket.destroy();
      if (text === expected) resolve();
      else reject(new Error(`${name} answered ${JSON.stringify(text)}`));
    });
    socket.on('error', reject);
    socket.write('set check 5 0 2\r\nok\r\nget check\r\n');
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const options: ServerBenchOptions = {
    ...FULL.tcp,
    workload: FULL.workload,
    layouts: [{ nodes: 2, replication: 2 }],
    runs: FULL.runs,
  };
  const progress = new ConsoleProgress(serverStepCount(options));
  const { rows, skipped } = await benchServers(options, progress);
  progress.close();
  const table = markdownTable(loadTable(rows, [MEMCACHED]));
  const machine = describeMachine();
  const date = new Date().toISOString().slice(0, 10);
  console.log(table);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(
    'bench/results/load.json',
    `${JSON.stringify({ machine, rows, skipped }, null, 2)}\n`,
  );
  writeFileSync('bench/results/load.md', `Measured ${date} on ${machine}.\n\n${table}`);
}
