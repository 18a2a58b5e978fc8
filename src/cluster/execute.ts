/**
 * Runs one protocol command on the cluster and shapes memcached's reply: what
 * `DistributedCache.execute` and the TCP server share. Typed errors become memcached's error
 * lines through the encoder's `toReply`; `noreply` commands still run but answer `none`.
 */

import { assertNever } from '../errors.js';
import type { CacheCommand, CacheResponse, ValueItem } from '../protocol/commands.js';
import { toReply } from '../protocol/encoder.js';
import { exptimeToTtlMs } from '../protocol/exptime.js';
import type { CacheStats } from '../types.js';
import { VERSION } from '../version.js';
import { Status } from './batch-format.js';
import type { DistributedCache } from './distributed-cache.js';

export { VERSION } from '../version.js';

const STORE_REPLY: Record<number, CacheResponse> = {
  [Status.STORED]: { type: 'stored' },
  [Status.NOT_STORED]: { type: 'notStored' },
  [Status.EXISTS]: { type: 'exists' },
  [Status.NOT_FOUND]: { type: 'notFound' },
};
const NONE: CacheResponse = { type: 'none' };
const NOT_FOUND: CacheResponse = { type: 'notFound' };
const OK: CacheResponse = { type: 'ok' };

export async function executeCommand(
  cache: DistributedCache,
  cmd: CacheCommand,
): Promise<CacheResponse> {
  try {
    const reply = await run(cache, cmd);
    return 'noreply' in cmd && cmd.noreply ? NONE : reply;
  } catch (err) {
    return 'noreply' in cmd && cmd.noreply ? NONE : toReply(err);
  }
}

async function run(cache: DistributedCache, cmd: CacheCommand): Promise<CacheResponse> {
  switch (cmd.type) {
    case 'get':
    case 'gets':
    case 'gat':
    case 'gats': {
      const withCas = cmd.type === 'gets' || cmd.type === 'gats';
      const ttlMs =
        cmd.type === 'gat' || cmd.type === 'gats'
          ? exptimeToTtlMs(cmd.exptime, Date.now())
          : undefined;
      const found = await Promise.all(cmd.keys.map((key) => cache.getItem(key, ttlMs)));
      const items: ValueItem[] = [];
      found.forEach((item, i) => {
        if (!item) return;
        const key = cmd.keys[i]!;
        items.push(
          withCas
            ? { key, flags: item.flags, value: item.value, cas: item.cas }
            : { key, flags: item.flags, value: item.value },
        );
      });
      return { type: 'values', items };
    }
    case 'set':
    case 'add':
    case 'replace':
    case 'append':
    case 'prepend': {
      const ttlMs = exptimeToTtlMs(cmd.exptime, Date.now());
      const status = await cache.store(cmd.type, cmd.key, cmd.value, { ttlMs, flags: cmd.flags });
      return STORE_REPLY[status] ?? NOT_FOUND;
    }
    case 'cas': {
      const ttlMs = exptimeToTtlMs(cmd.exptime, Date.now());
      const status = await cache.store(
        'cas',
        cmd.key,
        cmd.value,
        { ttlMs, flags: cmd.flags },
        cmd.cas,
      );
      return STORE_REPLY[status] ?? NOT_FOUND;
    }
    case 'delete':
      return (await cache.delete(cmd.key)) ? { type: 'deleted' } : NOT_FOUND;
    case 'incr':
    case 'decr': {
      const value = await cache.arith(cmd.key, cmd.delta, cmd.type === 'incr');
      return value === undefined ? NOT_FOUND : { type: 'number', value };
    }
    case 'touch':
      return (await cache.touch(cmd.key, exptimeToTtlMs(cmd.exptime, Date.now())))
        ? { type: 'touched' }
        : NOT_FOUND;
    case 'stats':
      if (cmd.group === undefined) return { type: 'stats', stats: statsLines(cache.stats()) };
      return { type: 'error', kind: 'ERROR', message: '' };
    case 'flush_all':
      if (cmd.delaySec > 0) {
        const delayMs = exptimeToTtlMs(cmd.delaySec, Date.now());
        setTimeout(() => void cache.flush().catch(() => {}), Math.max(0, delayMs)).unref();
      } else await cache.flush();
      return OK;
    case 'version':
      return { type: 'version', version: VERSION };
    case 'verbosity':
      return OK;
    case 'quit':
      return NONE;
    case 'lru_crawler':
      if (cmd.subcommand === 'metadump') return { type: 'metadump', lines: await cache.metadump() };
      // the expiry sweep always runs: enabling or tuning the crawler changes nothing
      if (['enable', 'disable', 'crawl', 'sleep', 'tocrawl'].includes(cmd.subcommand)) return OK;
      return { type: 'error', kind: 'CLIENT_ERROR', message: 'bad command line format' };
    default:
      return assertNever(cmd);
  }
}

/** The cluster's counters under memcached's stat names. */
export function statsLines(stats: CacheStats): [string, string][] {
  return [
    ['get_hits', String(stats.hits)],
    ['get_misses', String(stats.misses)],
    ['curr_items', String(stats.entryCount)],
    ['bytes', String(stats.bytesStored)],
    ['evictions', String(stats.evictions)],
  ];
}
