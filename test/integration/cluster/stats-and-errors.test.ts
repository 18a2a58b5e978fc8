import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DistributedCache } from '../../../src/cluster/distributed-cache.js';
import {
  ClosedError,
  InvalidArgumentError,
  InvalidKeyError,
  TooLargeError,
} from '../../../src/errors.js';
import { startCluster, text } from '../../helpers/cluster.js';

describe('stats: exact after a scripted sequence (shared counters, read synchronously)', () => {
  it('counts each request once, per node and in total', async () => {
    // one node of 1,000 bytes: 104-byte items, so 9 fit
    const cache = await startCluster({ servers: 1, replicationFactor: 1, maxMemory: 1_000 });
    try {
      for (let i = 0; i < 20; i++)
        await cache.set(`k:${String(i).padStart(2, '0')}`, 'x'.repeat(100));
      expect(await cache.get('k:19')).toBeDefined(); // hit
      expect(await cache.get('k:00')).toBeUndefined(); // miss: evicted
      expect(await cache.get('nope')).toBeUndefined(); // miss
      await cache.set('short', 'v', { ttlMs: 30 });
      // real time must pass for a real TTL: wait past it, bounded
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect(await cache.get('short')).toBeUndefined(); // miss + expired
      const stats = cache.stats();
      expect(stats).toMatchObject({
        hits: 1,
        misses: 3,
        evictions: 11,
        expired: 1,
        entryCount: 9,
        bytesStored: 9 * 104,
      });
      expect(cache.nodeStats()['node-0']).toEqual(stats);
    } finally {
      await cache.close();
    }
  });

  it('a replicated get counts once; stored copies count per node', async () => {
    const cache = await startCluster({ servers: 3, replicationFactor: 2 });
    try {
      await cache.set('a', 'vv');
      await cache.get('a');
      await cache.get('b');
      const stats = cache.stats();
      expect(stats).toMatchObject({ hits: 1, misses: 1, entryCount: 2, bytesStored: 6 });
      const perNode = Object.values(cache.nodeStats());
      expect(perNode.reduce((n, s) => n + s.hits + s.misses, 0)).toBe(2);
    } finally {
      await cache.close();
    }
  });
});

describe('bad input: typed errors, nothing stored', () => {
  let cache: DistributedCache;
  beforeAll(async () => {
    cache = await startCluster({ servers: 2, replicationFactor: 2, maxItemBytes: 1024 });
  });
  afterAll(async () => {
    await cache.close();
  });

  it.each([
    ['empty key', ''],
    ['space', 'a b'],
    ['newline', 'a\nb'],
    ['control', 'a\u0001'],
    ['251 bytes', 'k'.repeat(251)],
    ['126 two-byte characters', 'é'.repeat(126)],
  ])('invalid key (%s) → InvalidKeyError', async (_name, key) => {
    await expect(cache.set(key, 'v')).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(cache.get(key)).rejects.toMatchObject({ code: 'INVALID_KEY' });
    await expect(cache.delete(key)).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(cache.incr(key, 1)).rejects.toBeInstanceOf(InvalidKeyError);
  });

  it('a key that is not a string → InvalidKeyError, even right after a rejected key', async () => {
    await cache.set('abcde', 'secret');
    // the rejected key leaves 'abcd' in the cluster's scratch buffer: nothing may reuse it
    await expect(cache.get('abcd\n')).rejects.toBeInstanceOf(InvalidKeyError);
    const missing = undefined as unknown as string;
    await expect(cache.get(missing)).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(cache.delete(missing)).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(cache.set(missing, 'overwritten')).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(cache.set(42 as unknown as string, 'v')).rejects.toBeInstanceOf(InvalidKeyError);
    expect(text(await cache.get('abcde'))).toBe('secret');
    await cache.delete('abcde');
  });

  it('oversized value → TooLargeError', async () => {
    await expect(cache.set('big', new Uint8Array(1025))).rejects.toBeInstanceOf(TooLargeError);
    expect(await cache.get('big')).toBeUndefined();
  });

  it('wrong types → InvalidArgumentError', async () => {
    const bad: [string, () => Promise<unknown>][] = [
      ['value', () => cache.set('k', 42 as unknown as string)],
      ['flags', () => cache.set('k', 'v', { flags: -1 })],
      ['flags', () => cache.set('k', 'v', { flags: 1.5 })],
      ['ttl', () => cache.set('k', 'v', { ttlMs: 'soon' as unknown as number })],
      ['ttl', () => cache.set('k', 'v', { ttlMs: Number.NaN })],
      ['gat ttl', () => cache.getItem('k', Number.NaN)],
      ['delta', () => cache.incr('k', 0.5)],
      ['delta', () => cache.incr('k', 2n ** 64n)],
      ['decr', () => cache.decr('k', -1)],
    ];
    for (const [, call] of bad) await expect(call()).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(await cache.get('k')).toBeUndefined();
    // a NaN TTL once hung a worker node (its expiry heap): the nodes still answer
    await cache.set('k', 'v', { ttlMs: 60_000 });
    await expect(cache.getItem('k', Number.NaN)).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(text(await cache.get('k'))).toBe('v');
    await cache.delete('k');
    expect(cache.stats().entryCount).toBe(0);
  });

  it('incr on a non-number → NotNumericError, value unchanged on every replica', async () => {
    await cache.set('word', 'abc');
    await expect(cache.incr('word', 1)).rejects.toMatchObject({ code: 'NOT_NUMERIC' });
    expect(text(await cache.get('word'))).toBe('abc');
  });

  it('bad config → InvalidArgumentError', async () => {
    const { DistributedCache } = await import('../../../src/cluster/distributed-cache.js');
    expect(() => new DistributedCache({ replicationFactor: 0 })).toThrow(InvalidArgumentError);
    expect(() => new DistributedCache({ spinWaitMs: -1 })).toThrow(InvalidArgumentError);
    expect(() => new DistributedCache({ spinWaitMs: Number.NaN })).toThrow(InvalidArgumentError);
    expect(() => new DistributedCache({ evictionPolicy: 'mru' as 'lru' })).toThrow(
      InvalidArgumentError,
    );
    await expect(DistributedCache.create({ servers: 0 })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
  });
});

describe('shutdown', () => {
  it('after close(), calls fail with ClosedError', async () => {
    const cache = await startCluster({ servers: 1 });
    await cache.close();
    await expect(cache.get('a')).rejects.toBeInstanceOf(ClosedError);
  });

  it('a script that creates, uses and closes a cache exits by itself', () => {
    const entry = fileURLToPath(
      new URL('../../../dist/src/cluster/distributed-cache.js', import.meta.url),
    );
    const script = `
      const { DistributedCache } = await import(${JSON.stringify(entry)});
      const cache = await DistributedCache.create({ servers: 2 });
      await cache.set('a', 'b');
      if (Buffer.from(await cache.get('a')).toString() !== 'b') process.exit(3);
      await cache.close();
    `;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      timeout: 20_000,
    });
    expect(run.error).toBeUndefined();
    expect(run.status).toBe(0);
  });
});
