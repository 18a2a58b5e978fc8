/**
 * Memory per item after a bulk load of N items (12-byte keys, V-byte values): each store is
 * filled in a child process of its own (memory-probe.ts) so the readings do not mix, next to
 * stock memcached's when it is installed (filled over its text protocol, RSS read from /proc).
 */

import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import type { BenchTable } from '../fixtures/bench-table.js';
import { builtFile } from '../fixtures/built-file.js';
import { freePort } from '../load/processes.js';
import { type Progress, SILENT_PROGRESS } from '../suite/progress.js';
import { MEMCACHED_STORE, type MemoryRow } from '../suite/report.js';

interface Probe {
  readonly rssPerItem: number;
  readonly heapPerItem: number;
}

/** The stores probed in their own process: store label → probe kind. */
const PROBES = [
  ['CacheNode, keys as bytes (as a worker fills it)', 'cachenode-bytes'],
  ['CacheNode, string API', 'cachenode'],
  ['DistributedCache, 2 nodes R=1 (process total)', 'cluster'],
  ['Map<string, Buffer>', 'map'],
  ['lru-cache@11', 'lru-cache'],
] as const;

/** Steps `measureMemory` takes, for the progress bar. */
export const MEMORY_STEP_COUNT = PROBES.length + 1;

export interface MemoryResult {
  readonly rows: MemoryRow[];
  readonly notes: string[];
  /** Why memcached's row is missing, if it is. */
  readonly skipped: string | undefined;
}

export async function measureMemory(
  count: number,
  valueBytes: number,
  progress: Progress,
): Promise<MemoryResult> {
  const rows: MemoryRow[] = [];
  progress.start(`memory › ${MEMCACHED_STORE}: ${count} items`);
  const memcached = await memcachedPerItem(count, valueBytes);
  if (memcached !== undefined) {
    rows.push({
      store: MEMCACHED_STORE,
      items: count,
      rssBytesPerItem: memcached,
      heapBytesPerItem: null,
    });
    progress.finish(`${Math.round(memcached)} B RSS per item`);
  } else {
    progress.finish('skipped: memcached is not installed');
  }
  for (const [store, kind] of PROBES) {
    progress.start(`memory › ${store}: ${count} items`);
    const p = await probe(kind, count, valueBytes);
    rows.push({
      store,
      items: count,
      rssBytesPerItem: p.rssPerItem,
      heapBytesPerItem: p.heapPerItem,
    });
    progress.finish(
      `${Math.round(p.rssPerItem)} B RSS, ${p.heapPerItem.toFixed(1)} B heap per item`,
    );
  }
  const notes = [
    `${count.toLocaleString('en-US')} items of 12-byte keys and ${valueBytes}-byte values, each store filled in a fresh process; RSS and JS heap growth divided by the item count.`,
    'The string-API fill allocates key strings as it goes; V8 grows its young generation by ~30 MB for that, which shows in its RSS and is not per item.',
    "DistributedCache: the whole process (main thread and both worker threads), filled through the public API in batches of 10k sets, measured from after its threads started (as memcached is measured from after its process started). It includes the main thread's young generation, grown by ~25 MB for the fill's 10k sets in flight: a fixed cost, not per item.",
  ];
  const skipped = memcached === undefined ? 'memcached is not installed' : undefined;
  return { rows, notes, skipped };
}

/** The micro-benchmark table (`npm run bench:micro`). */
export async function benchMemory(count = 1_000_000): Promise<BenchTable> {
  const { rows, notes, skipped } = await measureMemory(count, 100, SILENT_PROGRESS);
  return {
    title: `memory per item at ${count.toLocaleString('en-US')} items`,
    rows: rows.map((r) => ({
      store: r.store,
      'RSS B/item': Math.round(r.rssBytesPerItem),
      'JS heap B/item': r.heapBytesPerItem === null ? 0 : Number(r.heapBytesPerItem.toFixed(1)),
    })),
    notes: skipped === undefined ? notes : [...notes, `${skipped}: its row is skipped.`],
  };
}

function probe(kind: string, count: number, valueBytes: number): Promise<Probe> {
  const args = [
    '--expose-gc',
    builtFile('./memory-probe.js', import.meta.url),
    kind,
    String(count),
    String(valueBytes),
    '0',
  ];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { encoding: 'utf8', timeout: 300_000 }, (err, stdout) => {
      if (err) reject(err);
      else resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Probe);
    });
  });
}

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return Number(kb ?? 0) * 1024;
}

/** Stock memcached's RSS per item after the same fill, or undefined if it is not installed. */
async function memcachedPerItem(count: number, valueBytes: number): Promise<number | undefined> {
  const port = await freePort();
  // memcached refuses to run as root unless told which user to be
  const user = process.getuid?.() === 0 ? ['-u', 'root'] : [];
  const memoryMiB = Math.max(1024, Math.ceil((count * (valueBytes + 120) * 1.5) / 2 ** 20));
  const args = ['-p', String(port), '-l', '127.0.0.1', '-U', '0', '-m', String(memoryMiB)];
  const child = spawn('memcached', [...args, '-t', '2', ...user], { stdio: 'ignore' });
  const started = await new Promise<boolean>((resolve) => {
    child.once('spawn', () => resolve(true));
    child.once('error', () => resolve(false));
  });
  if (!started) return undefined;
  try {
    const socket = await connectWithRetry(port);
    const before = rssBytes(child.pid!);
    const value = 'a'.repeat(valueBytes);
    for (let start = 0; start < count; start += 10_000) {
      let chunk = '';
      const end = Math.min(count, start + 10_000);
      for (let i = start; i < end; i++)
        chunk += `set key:${String(i).padStart(8, '0')} 0 0 ${valueBytes} noreply\r\n${value}\r\n`;
      socket.write(chunk);
    }
    // a reply proves every set before it was processed
    await new Promise<void>((resolve) => {
      socket.once('data', () => resolve());
      socket.write('version\r\n');
    });
    const after = rssBytes(child.pid!);
    socket.destroy();
    return (after - before) / count;
  } finally {
    child.kill('SIGKILL');
  }
}

async function connectWithRetry(port: number): Promise<Socket> {
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      return await new Promise((resolve, reject) => {
        const s = connect(port, '127.0.0.1', () => resolve(s));
        s.once('error', reject);
      });
    } catch {
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  throw new Error(`memcached did not start on port ${port}`);
}
