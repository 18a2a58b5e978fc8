/**
 * `lru_crawler metadump all`, the command a ring uses to list a node's keys for migration:
 * shardcache answers it in memcached's format, one line per key (replicas listed once), keys
 * URL-encoded, then END — compared field by field with stock memcached after the same writes.
 */

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type MemcachedProcess, startMemcached } from '../../helpers/memcached.js';
import { bytes, exchange } from '../../helpers/net.js';
import { type RunningServer, startShardcache } from '../../helpers/shardcache.js';

let memcached: MemcachedProcess;
let shardcache: RunningServer;

beforeAll(async () => {
  memcached = await startMemcached();
  shardcache = await startShardcache({ servers: 2, replicationFactor: 2 });
});

afterAll(async () => {
  await Promise.all([memcached?.stop(), shardcache?.stop()]);
});

const WRITES =
  'set plain 1 0 3\r\nabc\r\n' +
  'set ttl 2 1000 5\r\nhello\r\n' +
  'set sp%c/é 0 0 1\r\nx\r\n' +
  'get plain\r\n';

/** key → fields of its metadump line, with the values that differ by nature masked. */
async function metadump(port: number): Promise<Map<string, Record<string, string>>> {
  const request = Buffer.from(`${WRITES}lru_crawler metadump all\r\n`, 'utf8');
  const reply = (await exchange(port, request)).toString('latin1');
  const dump = reply.slice(reply.indexOf('key='));
  expect(dump.endsWith('END\r\n')).toBe(true);
  const out = new Map<string, Record<string, string>>();
  for (const line of dump
    .slice(0, -'END\r\n'.length)
    .split('\n')
    .filter((l) => l.length > 0)) {
    const fields = Object.fromEntries(line.split(' ').map((f) => f.split('=') as [string, string]));
    out.set(fields.key!, fields);
  }
  return out;
}

describe('lru_crawler metadump', () => {
  test("lists every key once, URL-encoded, with memcached's fields", async () => {
    const [ours, theirs] = await Promise.all([metadump(shardcache.port), metadump(memcached.port)]);
    expect([...ours.keys()].sort()).toEqual([...theirs.keys()].sort());
    expect([...ours.keys()].sort()).toEqual(['plain', 'sp%25c%2F%C3%A9', 'ttl']);
    for (const [key, fields] of ours) {
      const reference = theirs.get(key)!;
      expect(Object.keys(fields)).toEqual(Object.keys(reference));
      // no-expiry is -1 on both; a TTL is an absolute time within a second or two of memcached's
      if (reference.exp === '-1') expect(fields.exp).toBe('-1');
      else expect(Math.abs(Number(fields.exp) - Number(reference.exp))).toBeLessThanOrEqual(2);
    }
    expect(ours.get('plain')!.fetch).toBe('yes');
    expect(ours.get('ttl')!.fetch).toBe('no');
  });

  test("the crawler's other subcommands are accepted; an unknown one is refused", async () => {
    const reply = await exchange(
      shardcache.port,
      bytes('lru_crawler enable\r\nlru_crawler bogus\r\n'),
    );
    expect(reply.toString()).toBe('OK\r\nCLIENT_ERROR bad command line format\r\n');
  });
});
