import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DistributedCache } from '../../../src/cluster/distributed-cache.js';
import { DistributedCache as Cache } from '../../../src/cluster/distributed-cache.js';
import { placement, replicaValues, startCluster, text } from '../../helpers/cluster.js';

describe('seed: test_replication', () => {
  it('RF=3 on three servers: serversForKey gives three distinct servers', async () => {
    const cache = new Cache({ replicationFactor: 3 });
    try {
      await cache.addServer('node1');
      await cache.addServer('node2');
      await cache.addServer('node3');
      const servers = cache.serversForKey('mykey');
      expect(servers).toHaveLength(3);
      expect(new Set(servers.map((s) => s.id)).size).toBe(3);
    } finally {
      await cache.close();
    }
  });
});

describe('replication over worker nodes', () => {
  let cache: DistributedCache;
  beforeAll(async () => {
    cache = await startCluster({ servers: 3, replicationFactor: 2 });
  });
  afterAll(async () => {
    await cache.close();
  });

  it('a write lands on exactly the replica set, primary first', async () => {
    const keys = Array.from({ length: 500 }, (_, i) => `rep:${i}`);
    await cache.setMany(keys.map((k) => [k, `v-${k}`]));
    const where = await placement(cache);
    for (const key of keys) {
      const expected = cache.serversForKey(key).map((s) => s.id);
      expect(expected).toHaveLength(2);
      expect(where.get(key)?.sort()).toEqual([...expected].sort());
    }
    expect((await cache.getMany(keys)).map(text)).toEqual(keys.map((k) => `v-${k}`));
  });

  it('serversForKey between two commands does not change the key a command sends', async () => {
    await cache.set('same:1', 'one');
    await cache.set('same:2', 'two');
    // the cluster reuses one scratch buffer for the last key it encoded: looking up another
    // key's servers must not leave that key's bytes behind for the next command on 'same:1'
    expect(text(await cache.get('same:1'))).toBe('one');
    cache.serversForKey('same:2');
    expect(text(await cache.get('same:1'))).toBe('one');
  });

  it('incr is computed once on the primary and copied: replicas agree', async () => {
    await cache.set('counter', '10', { flags: 3, ttlMs: 60_000 });
    const results = await Promise.all(Array.from({ length: 50 }, () => cache.incr('counter', 2)));
    expect(results.map(Number).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 50 }, (_, i) => 12 + 2 * i),
    );
    const values = await replicaValues(cache, ['counter']);
    expect(values.get('counter')).toEqual(['110', '110']);
    expect((await cache.getItem('counter'))?.flags).toBe(3);
  });

  it('replica agreement: concurrent set, incr and delete on hot keys leave every replica equal', async () => {
    const hot = ['hot:a', 'hot:b', 'hot:c'];
    await Promise.all(hot.map((k) => cache.set(k, '0')));
    const ops: Promise<unknown>[] = [];
    for (let i = 0; i < 600; i++) {
      const key = hot[i % hot.length]!;
      const pick = (i * 7919) % 10;
      if (pick < 5) ops.push(cache.incr(key, 1));
      else if (pick < 8) ops.push(cache.set(key, String(i)));
      else if (pick < 9) ops.push(cache.delete(key));
      else ops.push(cache.store('add', key, '1000'));
    }
    await Promise.all(ops);
    const values = await replicaValues(cache, hot);
    for (const key of hot) {
      const copies = values.get(key)!;
      expect(copies.length === 0 || copies.length === 2).toBe(true);
      expect(new Set(copies).size).toBeLessThanOrEqual(1);
      expect(text(await cache.get(key))).toBe(copies[0]);
    }
  });

  it('conditional stores: add, replace, cas, append, prepend', async () => {
    expect(await cache.store('add', 'cond', 'a')).toBe(0); // STORED
    expect(await cache.store('add', 'cond', 'b')).toBe(1); // NOT_STORED
    expect(await cache.store('replace', 'cond:missing', 'x')).toBe(1);
    expect(await cache.store('append', 'cond', 'z')).toBe(0);
    expect(await cache.store('prepend', 'cond', 'y')).toBe(0);
    const item = await cache.getItem('cond');
    expect(text(item?.value)).toBe('yaz');
    expect(await cache.store('cas', 'cond', 'new', {}, item!.cas + 1000n)).toBe(2); // EXISTS
    expect(await cache.store('cas', 'cond', 'new', {}, item!.cas)).toBe(0);
    expect(await cache.store('cas', 'cond:missing', 'new', {}, 1n)).toBe(3); // NOT_FOUND
    expect((await replicaValues(cache, ['cond'])).get('cond')).toEqual(['new', 'new']);
  });

  it('a read issued right after a primary-first write sees it', async () => {
    await cache.delete('order');
    const [added, value, incremented, after] = await Promise.all([
      cache.store('add', 'order', '5'),
      cache.get('order'),
      cache.incr('order', 1),
      cache.get('order'),
    ]);
    expect([added, text(value), incremented, text(after)]).toEqual([0, '5', 6n, '6']);
  });

  it('a delete issued while an incr is in flight applies after it, on every replica', async () => {
    for (let i = 0; i < 20; i++) {
      const key = `gated:${i}`;
      await cache.set(key, '1');
      const [n, deleted] = await Promise.all([cache.incr(key, 1), cache.delete(key)]);
      expect([n, deleted]).toEqual([2n, true]);
      expect((await replicaValues(cache, [key])).get(key)).toEqual([]);
    }
  });

  it('touch and delete reach every replica', async () => {
    await cache.set('td', 'v');
    expect(await cache.touch('td', 60_000)).toBe(true);
    expect(await cache.delete('td')).toBe(true);
    expect(await cache.delete('td')).toBe(false);
    expect(await cache.touch('td', 1)).toBe(false);
    expect((await replicaValues(cache, ['td'])).get('td')).toEqual([]);
  });
});
