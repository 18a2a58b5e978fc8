/**
 * A real client library against the server: the npm `memcached` package (text protocol) doing
 * its normal operations, multi-gets whose keys live on different worker nodes, and concurrent
 * use from several clients with connection pools.
 */

import Memcached from 'memcached';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type RunningServer, startShardcache } from '../../helpers/shardcache.js';

let shardcache: RunningServer;
const clients: Memcached[] = [];

beforeAll(async () => {
  shardcache = await startShardcache({ servers: 3, replicationFactor: 2 });
});

afterAll(async () => {
  for (const client of clients) client.end();
  await shardcache?.stop();
});

function newClient(poolSize = 4): Memcached {
  // The client's pool answers "pool full" while its sockets are still connecting and retries
  // (its `retries` option): keep the retries, bounded by `timeout`.
  const client = new Memcached(`127.0.0.1:${shardcache.port}`, { timeout: 5_000, poolSize });
  clients.push(client);
  return client;
}

/** The client's callbacks as promises; `err` rejects. */
function call<T>(run: (done: (err: unknown, result: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    run((err, result) => (err ? reject(err) : resolve(result)));
  });
}

/** Like `call`, for answers the client reports as an error with a false result (NOT_STORED…). */
function outcome(run: (done: (err: unknown, result: unknown) => void) => void): Promise<unknown> {
  return new Promise((resolve) => run((err, result) => resolve(err ? false : result)));
}

describe('npm memcached client', () => {
  test('set, get, add, replace, append, prepend, del', async () => {
    const mc = newClient();
    expect(await call<boolean>((d) => mc.set('k1', 'hello', 0, d))).toBe(true);
    expect(await call<unknown>((d) => mc.get('k1', d))).toBe('hello');
    expect(await outcome((d) => mc.add('k1', 'other', 0, d))).toBe(false);
    expect(await call<boolean>((d) => mc.add('k2', 'two', 0, d))).toBe(true);
    expect(await outcome((d) => mc.replace('missing', 'x', 0, d))).toBe(false);
    expect(await call<boolean>((d) => mc.replace('k2', 'TWO', 0, d))).toBe(true);
    expect(await call<boolean>((d) => mc.append('k1', ' world', d))).toBe(true);
    expect(await call<boolean>((d) => mc.prepend('k1', '>> ', d))).toBe(true);
    expect(await call<unknown>((d) => mc.get('k1', d))).toBe('>> hello world');
    expect(await call<unknown>((d) => mc.get('k2', d))).toBe('TWO');
    expect(await call<boolean>((d) => mc.del('k1', d))).toBe(true);
    expect(await call<unknown>((d) => mc.get('k1', d))).toBeUndefined();
  });

  test('binary values and JSON round-trip through flags', async () => {
    const mc = newClient();
    const binary = Buffer.from([0, 13, 10, 255, 0, 69, 78, 68, 13, 10]);
    await call<boolean>((d) => mc.set('bin', binary, 0, d));
    const back = await call<unknown>((d) => mc.get('bin', d));
    expect(Buffer.isBuffer(back)).toBe(true);
    expect(Buffer.compare(back as Buffer, binary)).toBe(0);
    await call<boolean>((d) => mc.set('json', { a: [1, 2], b: 'x' }, 0, d));
    expect(await call<unknown>((d) => mc.get('json', d))).toEqual({ a: [1, 2], b: 'x' });
  });

  test('gets and cas', async () => {
    const mc = newClient();
    await call<boolean>((d) => mc.set('c', 'v1', 0, d));
    const first = await call<{ cas: string; [key: string]: unknown }>((d) => mc.gets('c', d));
    expect(first['c']).toBe('v1');
    expect(first.cas).toMatch(/^\d+$/);
    expect(await call<boolean>((d) => mc.cas('c', 'v2', first.cas, 0, d))).toBe(true);
    // The unique changed with the write: the old one no longer matches.
    expect(await outcome((d) => mc.cas('c', 'v3', first.cas, 0, d))).toBe(false);
    expect(await call<unknown>((d) => mc.get('c', d))).toBe('v2');
  });

  test('incr, decr, touch', async () => {
    const mc = newClient();
    await call<boolean>((d) => mc.set('n', '10', 0, d));
    expect(await call<unknown>((d) => mc.incr('n', 5, d))).toBe(15);
    expect(await call<unknown>((d) => mc.decr('n', 20, d))).toBe(0);
    expect(await outcome((d) => mc.incr('nope', 1, d))).toBe(false);
    const touchError = await new Promise<unknown>((resolve) => mc.touch('n', 100, resolve));
    expect(touchError).toBeFalsy();
    // Stored with flags 0 as digits: the client hands back the string.
    expect(await call<unknown>((d) => mc.get('n', d))).toBe('0');
  });

  test('getMulti over keys spread across every worker node', async () => {
    const mc = newClient();
    const keys = Array.from({ length: 300 }, (_, i) => `multi:${i}`);
    await Promise.all(keys.map((key, i) => call<boolean>((d) => mc.set(key, `v${i}`, 0, d))));
    const primaries = new Set(keys.map((key) => shardcache.cache.serversForKey(key)[0]!.id));
    expect(primaries.size).toBe(3);
    const missing = ['multi:none:1', 'multi:none:2'];
    const found = await call<Record<string, unknown>>((d) => mc.getMulti([...keys, ...missing], d));
    expect(Object.keys(found).length).toBe(keys.length);
    keys.forEach((key, i) => {
      expect(found[key]).toBe(`v${i}`);
    });
  });

  test('concurrent clients with connection pools', async () => {
    const pool = [newClient(8), newClient(8), newClient(8)];
    for (let c = 0; c < 3; c++) {
      await call<boolean>((d) => pool[c]!.set(`conc:counter:${c}`, '0', 0, d));
    }
    const work = pool.flatMap((mc, c) =>
      Array.from({ length: 200 }, async (_, i) => {
        const key = `conc:${c}:${i % 50}`;
        await call<boolean>((d) => mc.set(key, `${c}-${i}`, 0, d));
        const value = await call<unknown>((d) => mc.get(key, d));
        expect(String(value)).toMatch(new RegExp(`^${c}-\\d+$`));
        await call<unknown>((d) => mc.incr(`conc:counter:${c}`, 1, d));
      }),
    );
    await Promise.all(work);
    for (let c = 0; c < 3; c++) {
      expect(await call<unknown>((d) => pool[c]!.get(`conc:counter:${c}`, d))).toBe('200');
    }
  });

  test('version and stats through the client', async () => {
    const mc = newClient();
    const versions = await call<Memcached.VersionData[]>((d) => mc.version(d));
    expect(versions[0]?.version).toBe('0.1.0');
    const stats = await call<Memcached.StatusData[]>((d) => mc.stats(d));
    expect(Number(stats[0]?.['curr_connections'])).toBeGreaterThan(0);
    expect(stats[0]?.['threads']).toBe(3);
  });
});
