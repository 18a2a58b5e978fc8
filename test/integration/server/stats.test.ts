/**
 * `stats` against stock memcached: after the same requests, the request counters shardcache
 * reports equal memcached's exactly; every name shardcache uses is one memcached uses; the
 * groups are well formed; connection counters and the connection limit behave like memcached's.
 */

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type MemcachedProcess, startMemcached } from '../../helpers/memcached.js';
import { bytes, connect, exchange, parseReplies, waitUntil } from '../../helpers/net.js';
import { type RunningServer, startShardcache } from '../../helpers/shardcache.js';

let memcached: MemcachedProcess;
let shardcache: RunningServer;

beforeAll(async () => {
  memcached = await startMemcached();
  shardcache = await startShardcache();
});

afterAll(async () => {
  await Promise.all([memcached?.stop(), shardcache?.stop()]);
});

async function stats(port: number, group = ''): Promise<Map<string, string>> {
  const reply = await exchange(port, bytes(`stats${group ? ` ${group}` : ''}\r\n`));
  const lines = parseReplies(reply).map((r) => r.line);
  expect(lines.at(-1)).toBe('END');
  const out = new Map<string, string>();
  for (const line of lines.slice(0, -1)) {
    const match = /^STAT (\S+) (\S.*)$/.exec(line);
    expect(match, line).not.toBeNull();
    out.set(match![1]!, match![2]!);
  }
  return out;
}

const huge = 'h'.repeat(1024 * 1024 + 1);

/** Every outcome each counter distinguishes, with and without noreply. */
const COUNTED_SCRIPT =
  'set a 0 0 1\r\n1\r\nset a 0 0 1 noreply\r\n1\r\nget a b c\r\ngets a\r\n' +
  'gat 0 a b\r\ngats 0 c\r\ntouch a 0\r\ntouch z 0\r\ntouch z 0 noreply\r\n' +
  'gets a\r\ncas a 0 0 1 999\r\nx\r\ncas q 0 0 1 1\r\nx\r\ncas q 0 0 1 1 noreply\r\nx\r\n' +
  'incr a 1\r\nincr q 1\r\nincr q 1 noreply\r\ndecr a 1\r\ndecr q 1\r\n' +
  'add b 0 0 1\r\nx\r\nadd b 0 0 1\r\nx\r\nappend b 0 0 1\r\ny\r\nprepend zz 0 0 1\r\ny\r\n' +
  'replace zz 0 0 1 noreply\r\ny\r\nincr b 1\r\ndelete a\r\ndelete a\r\ndelete a noreply\r\n' +
  'set bad 0 0 1\r\nxyz\r\n' +
  `set h 0 0 ${huge.length}\r\n${huge}\r\n` +
  'flush_all\r\nflush_all 0 noreply\r\nget b\r\n';

const COUNTERS = [
  'cmd_get',
  'cmd_set',
  'cmd_flush',
  'cmd_touch',
  'get_hits',
  'get_misses',
  'delete_misses',
  'delete_hits',
  'incr_misses',
  'incr_hits',
  'decr_misses',
  'decr_hits',
  'cas_misses',
  'cas_hits',
  'cas_badval',
  'touch_hits',
  'touch_misses',
  'store_too_large',
  'store_no_memory',
  'total_items',
];

describe('stats against memcached', () => {
  test('request counters equal memcached after the same requests', async () => {
    const reset = bytes('flush_all\r\nstats reset\r\n');
    for (const port of [memcached.port, shardcache.port]) {
      expect((await exchange(port, reset)).toString()).toBe('OK\r\nRESET\r\n');
      await exchange(port, bytes(COUNTED_SCRIPT));
    }
    const expected = await stats(memcached.port);
    const actual = await stats(shardcache.port);
    const pick = (m: Map<string, string>): Record<string, string | undefined> =>
      Object.fromEntries(COUNTERS.map((name) => [name, m.get(name)]));
    expect(pick(expected)['cmd_set']).not.toBe('0');
    expect(pick(actual)).toEqual(pick(expected));
  });

  test('a pipelined stats sees every request before it', async () => {
    const script = bytes('stats reset\r\nset p 0 0 1\r\n1\r\nget p p q\r\nstats\r\n');
    const lines = parseReplies(await exchange(shardcache.port, script)).map((r) => r.line);
    expect(lines).toContain('STAT cmd_get 3');
    expect(lines).toContain('STAT get_hits 2');
    expect(lines).toContain('STAT cmd_set 1');
  });

  test('every general and settings stat name is one memcached reports', async () => {
    const theirs = await stats(memcached.port);
    const ours = await stats(shardcache.port);
    expect([...ours.keys()].filter((name) => !theirs.has(name))).toEqual([]);
    for (const name of ['pid', 'uptime', 'time', 'version', 'curr_items', 'bytes', 'threads']) {
      expect(ours.has(name), name).toBe(true);
    }
    expect(ours.get('threads')).toBe('2');
    expect(ours.get('limit_maxbytes')).toBe(String(2 * shardcache.cache.config.maxMemory));
    expect(ours.get('rusage_user')).toMatch(/^\d+\.\d{6}$/);

    const theirSettings = await stats(memcached.port, 'settings');
    const ourSettings = await stats(shardcache.port, 'settings');
    const extras = ['eviction_policy', 'replication_factor', 'node_maxbytes'];
    expect(
      [...ourSettings.keys()].filter((n) => !theirSettings.has(n) && !extras.includes(n)),
    ).toEqual([]);
    expect(ourSettings.get('item_size_max')).toBe('1048576');
    expect(ourSettings.get('tcpport')).toBe(String(shardcache.port));
  });

  test('items and slabs groups are well formed; an unknown group is ERROR', async () => {
    await stats(shardcache.port, 'items');
    const slabs = await stats(shardcache.port, 'slabs');
    expect(slabs.has('active_slabs')).toBe(true);
    expect(slabs.has('total_malloced')).toBe(true);
    const unknown = bytes('stats nosuch\r\n');
    expect((await exchange(shardcache.port, unknown)).toString()).toBe(
      (await exchange(memcached.port, unknown)).toString(),
    );
  });

  test('items and bytes count every replica copy', async () => {
    await exchange(shardcache.port, bytes('flush_all\r\nset one 0 0 3\r\nabc\r\n'));
    const ours = await stats(shardcache.port);
    // replication 2: the item is held twice, as in a pool of two memcached with the key on both
    expect(ours.get('curr_items')).toBe('2');
    expect(ours.get('bytes')).toBe(String(2 * 'oneabc'.length));
  });

  test('curr_connections and total_connections count client connections', async () => {
    const before = await stats(shardcache.port);
    const sockets = await Promise.all([1, 2, 3].map(() => connect(shardcache.port)));
    try {
      await waitUntil(() => shardcache.server.connectionCount === 3, '3 connections');
      const during = await stats(shardcache.port);
      expect(during.get('curr_connections')).toBe('4');
      expect(Number(during.get('total_connections'))).toBe(
        Number(before.get('total_connections')) + 4,
      );
    } finally {
      for (const socket of sockets) socket.destroy();
    }
  });
});

describe('connection limit', () => {
  test('over -c, a client gets memcached ERROR line and is closed; others go on', async () => {
    const limited = await startShardcache(
      { servers: 1, replicationFactor: 1 },
      { maxConnections: 2 },
    );
    try {
      const held = await Promise.all([connect(limited.port), connect(limited.port)]);
      try {
        await waitUntil(() => limited.server.connectionCount === 2, '2 connections');
        // memcached 1.6.18 writes exactly this line, then closes (its maxconns_fast default)
        const rejected = await exchange(limited.port, bytes('version\r\n'));
        expect(rejected.toString()).toBe('ERROR Too many open connections\r\n');
        const [first] = held;
        const reply = new Promise<string>((resolve) =>
          first!.once('data', (chunk: Buffer) => resolve(chunk.toString())),
        );
        first!.write('version\r\n');
        expect(await reply).toMatch(/^VERSION /);
      } finally {
        for (const socket of held) socket.destroy();
      }
      await waitUntil(() => limited.server.connectionCount === 0, 'connections to close');
      const lines = parseReplies(await exchange(limited.port, bytes('stats\r\n'))).map(
        (r) => r.line,
      );
      expect(lines).toContain('STAT rejected_connections 1');
    } finally {
      await limited.stop();
    }
  });
});
