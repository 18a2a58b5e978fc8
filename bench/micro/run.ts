/**
 * `npm run bench:micro`: the micro-benchmarks (storage, ring, decoder, memory per item) in one
 * run, printed as tables and saved to bench/results/micro.json and micro.md.
 * `node dist/bench/micro/run.js [storage|ring|decoder|memory] …` runs a subset.
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import type { BenchTable } from '../fixtures/bench-table.js';
import { benchDecoder } from './decoder.bench.js';
import { benchMemory } from './memory.bench.js';
import { benchRing } from './ring.bench.js';
import { benchStorage } from './storage.bench.js';

const suites: Record<string, () => Promise<BenchTable>> = {
  storage: () => benchStorage(),
  ring: () => benchRing(),
  decoder: () => benchDecoder(),
  memory: () => benchMemory(),
};

function toMarkdown(table: BenchTable): string {
  const first = table.rows[0];
  if (!first) return `### ${table.title}\n\n(no rows)\n`;
  const columns = Object.keys(first);
  const lines = [
    `### ${table.title}`,
    '',
    `| ${columns.join(' | ')} |`,
    `| ${columns.map(() => '---').join(' | ')} |`,
    ...table.rows.map((row) => `| ${columns.map((c) => String(row[c] ?? '')).join(' | ')} |`),
  ];
  for (const note of table.notes ?? []) lines.push('', note);
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const names = wanted.length > 0 ? wanted : Object.keys(suites);
  const tables: BenchTable[] = [];
  for (const name of names) {
    const suite = suites[name];
    if (!suite) throw new Error(`unknown suite ${name}; known: ${Object.keys(suites).join(', ')}`);
    const table = await suite();
    console.log(`\n${table.title}`);
    console.table(table.rows);
    for (const note of table.notes ?? []) console.log(note);
    tables.push(table);
  }
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`;
  const header = `Measured ${new Date().toISOString().slice(0, 10)} on ${machine}.\n\n`;
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/micro.json', `${JSON.stringify({ machine, tables }, null, 2)}\n`);
  writeFileSync('bench/results/micro.md', header + tables.map(toMarkdown).join('\n'));
}

await main();
