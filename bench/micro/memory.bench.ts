/**
 * Memory per item at 1M items (12-byte keys, 100-byte values): each store is filled in a child
 * process of its own (memory-probe.ts) so the readings do not mix, next to stock memcached's
 * when it is installed (filled over its text protocol, RSS read from /proc).
 */

import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { BenchTable } from '../fixtures/bench-table.js';

const PROBE = fileURLToPath(new URL('./memory-probe.js', import.meta.url));

interface Probe {
  readonly rssPerItem: number;
  readonly heapPerItem: number;
}

function probe(kind: string, count: number): Probe {
  const out = execFileSync(process.execPath, ['--expose-gc', PROBE, kind, String(count)], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  return JSON.parse(out.trim().split('\n').pop() ?? '{}') as Probe;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return Number(kb ?? 0) * 1024;
}

/** Stock memcached's RSS per item after the same fill, or undefined if it is not installed. */
async function memcachedPerItem(count: number): Promise<number | undefined> {
  try {
    execFileSync('memcached', ['-h'], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  const port = await freePort();
  // memcached refuses to run as root unless told which user to be
  const user = process.getuid?.() === 0 ? ['-u', 'root'] : [];
  const args = ['-p', String(port), '-l', '127.0.0.1', '-U', '0', '-m', '1024', '-t', '2', ...user];
  const child = spawn('memcached', args, { stdio: 'ignore' });
  try {
    let socket = await connectWithRetry(port);
    const before = rssBytes(child.pid!);
    const value = 'a'.repeat(100);
    for (let start = 0; start < count; start += 10_000) {
      let chunk = '';
      const end = Math.min(count, start + 10_000);
      for (let i = start; i < end; i++)
        chunk += `set key:${String(i).padStart(8, '0')} 0 0 100 noreply\r\n${value}\r\n`;
      socket.write(chunk);
    }
    // a reply proves every set before it was processed
    await new Promise<void>((resolve) => {
      socket.once('data', () => resolve());
      socket.write('version\r\n');
    });
    const after = rssBytes(child.pid!);
    socket.destroy();
    socket = undefined as never;
    return (after - before) / count;
  } finally {
    child.kill('SIGKILL');
  }
}

async function connectWithRetry(port: number): Promise<ReturnType<typeof connect>> {
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

export async function benchMemory(count = 1_000_000): Promise<BenchTable> {
  const rows: Record<string, string | number>[] = [];
  const add = (store: string, p: Probe): void => {
    rows.push({
      store,
      'RSS B/item': Math.round(p.rssPerItem),
      'JS heap B/item': Number(p.heapPerItem.toFixed(1)),
    });
  };
  const memcached = await memcachedPerItem(count);
  if (memcached !== undefined)
    rows.push({
      store: 'memcached 1.6 (-t 2)',
      'RSS B/item': Math.round(memcached),
      'JS heap B/item': 0,
    });
  add('CacheNode, keys as bytes (as a worker fills it)', probe('cachenode-bytes', count));
  add('CacheNode, string API', probe('cachenode', count));
  add('Map<string, Buffer>', probe('map', count));
  add('lru-cache@11', probe('lru-cache', count));
  const notes = [
    `${count.toLocaleString('en-US')} items of 12-byte keys and 100-byte values, filled in a fresh process each.`,
    'The string-API fill allocates key strings as it goes; V8 grows its young generation by ~30 MB for that, which shows in its RSS and is not per item.',
  ];
  if (memcached === undefined) notes.push('memcached is not installed: its row is skipped.');
  return { title: `memory per item at ${count.toLocaleString('en-US')} items`, rows, notes };
}
