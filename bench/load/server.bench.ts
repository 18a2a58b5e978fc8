/**
 * `npm run bench:load`: shardcache's server against stock memcached (`-t 2`) in the same run,
 * under the same load: C connections, pipeline depth D (1 and 16), Zipf 0.99 over 100k keys,
 * 90% get, 100-byte values. Each server runs in its own process, and so does the load generator
 * (`memcache-load.ts`). Each cell is the median of several runs, interleaved across servers so
 * drift hits both alike. Prints a table and saves bench/results/load.{json,md}.
 *
 * `node dist/bench/load/server.bench.js [--runs 3] [--duration 5] [--connections 50]`
 */

import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { BenchTable } from '../fixtures/bench-table.js';
import type { LoadOptions, LoadResult } from './memcache-load.js';
import { type ServerProcess, startMemcached, startShardcacheCli } from './processes.js';

export interface LoadBenchOptions {
  readonly runs: number;
  readonly durationMs: number;
  readonly warmupMs: number;
  readonly connections: number;
  readonly depths: readonly number[];
}

const DEFAULTS: LoadBenchOptions = {
  runs: 3,
  durationMs: 5_000,
  warmupMs: 1_000,
  connections: 50,
  depths: [1, 16],
};

const WORKLOAD = { keyCount: 100_000, getRatio: 0.9, valueBytes: 100, zipfS: 0.99, seed: 42 };

const LOADER = fileURLToPath(new URL('./memcache-load.js', import.meta.url));

/** Runs the load generator in a child process; bounded by the run's length plus a margin. */
function runLoader(options: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(LOADER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
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

function median(results: readonly LoadResult[]): LoadResult {
  const sorted = [...results].sort((a, b) => a.opsPerSec - b.opsPerSec);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Runs the benchmark and returns its table (ops/s and latency per server and depth). */
export async function benchLoad(overrides: Partial<LoadBenchOptions> = {}): Promise<BenchTable> {
  const o = { ...DEFAULTS, ...overrides };
  const servers: [string, ServerProcess][] = [];
  try {
    servers.push(['memcached -t 2', await startMemcached(['-m', '1024', '-c', '4096'])]);
    servers.push(['shardcache', await startShardcacheCli(['-m', '1024', '-c', '4096'])]);
    for (const [name, server] of servers) {
      await checkServer(name, server.port);
      await runLoader({ ...base(o, server.port, 1), preload: true });
    }
    const results = new Map<string, LoadResult[]>();
    for (let run = 0; run < o.runs; run++) {
      for (const depth of o.depths) {
        for (const [name, server] of servers) {
          const result = await runLoader(base(o, server.port, depth));
          if (result.errors > 0 || result.hits === 0) {
            throw new Error(`${name}: ${result.errors} error replies, ${result.hits} hits`);
          }
          const cell = `${name}|${depth}`;
          results.set(cell, [...(results.get(cell) ?? []), result]);
        }
      }
    }
    const rows: Record<string, string | number>[] = [];
    const notes: string[] = [];
    for (const depth of o.depths) {
      const baseline = median(results.get(`memcached -t 2|${depth}`)!);
      for (const [name] of servers) {
        const r = median(results.get(`${name}|${depth}`)!);
        const ratio = Math.round((r.opsPerSec / baseline.opsPerSec) * 100) / 100;
        rows.push({
          server: name,
          depth,
          connections: o.connections,
          'ops/s': r.opsPerSec,
          'p50 µs': r.p50Us,
          'p99 µs': r.p99Us,
          'p999 µs': r.p999Us,
          'hit %': Math.round((r.hits / (r.hits + r.misses)) * 1000) / 10,
          'vs memcached': ratio,
        });
        if (name === 'shardcache')
          notes.push(`D=${depth}: shardcache at ${ratio}× memcached's ops/s`);
      }
    }
    notes.push(
      `Median of ${o.runs} runs of ${o.durationMs / 1000} s (after ${o.warmupMs / 1000} s warm-up) ` +
        `per cell; server, memcached and load generator share ${availableParallelism()} cores; ` +
        `shardcache with its CLI defaults (-t ${availableParallelism()}, replication ` +
        `${Math.min(2, availableParallelism())}).`,
    );
    return {
      title: `load: ${o.connections} connections, Zipf 0.99 over 100k keys, 90% get, 100 B values`,
      rows,
      notes,
    };
  } finally {
    for (const [, server] of servers) await server.stop();
  }
}

function base(o: LoadBenchOptions, port: number, depth: number): LoadOptions {
  return {
    port,
    host: '127.0.0.1',
    connections: o.connections,
    depth,
    warmupMs: o.warmupMs,
    durationMs: o.durationMs,
    preload: false,
    ...WORKLOAD,
  };
}

function parseFlags(argv: readonly string[]): Partial<LoadBenchOptions> {
  const out: { -readonly [K in keyof LoadBenchOptions]?: LoadBenchOptions[K] } = {};
  for (let i = 0; i < argv.length; i += 2) {
    const value = Number(argv[i + 1]);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`bad value for ${argv[i]}`);
    if (argv[i] === '--runs') out.runs = value;
    else if (argv[i] === '--duration') out.durationMs = value * 1000;
    else if (argv[i] === '--connections') out.connections = value;
    else throw new Error(`unknown flag ${argv[i]} (--runs, --duration, --connections)`);
  }
  return out;
}

/** The table as Markdown, cells padded to their column (the layout Biome's formatter keeps). */
function toMarkdown(table: BenchTable, machine: string): string {
  const columns = Object.keys(table.rows[0] ?? {});
  const cells = table.rows.map((row) => columns.map((c) => String(row[c] ?? '')));
  const widths = columns.map((c, i) => Math.max(c.length, 3, ...cells.map((r) => r[i]!.length)));
  const line = (values: readonly string[]): string =>
    `| ${values.map((v, i) => v.padEnd(widths[i]!)).join(' | ')} |`;
  return `${[
    `Measured ${new Date().toISOString().slice(0, 10)} on ${machine}.`,
    '',
    `### ${table.title}`,
    '',
    line(columns),
    line(widths.map((w) => '-'.repeat(w))),
    ...cells.map(line),
    ...(table.notes ?? []).flatMap((note) => ['', note]),
  ].join('\n')}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const table = await benchLoad(parseFlags(process.argv.slice(2)));
  console.log(`\n${table.title}`);
  console.table(table.rows);
  for (const note of table.notes ?? []) console.log(note);
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`;
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/load.json', `${JSON.stringify({ machine, table }, null, 2)}\n`);
  writeFileSync('bench/results/load.md', toMarkdown(table, machine));
}
