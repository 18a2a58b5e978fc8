import { describe, expect, it } from 'vitest';
import { CacheNode } from '../../../src/storage/cache-node.js';

// The seed's CacheNode tests (shared/seed), in TypeScript. TTL uses an injected clock instead of
// sleeping: the seed's `sleep(100ms)` becomes advancing the clock by 100 ms.
describe('seed: CacheNode', () => {
  it('test_cache_set_get', () => {
    const cache = new CacheNode(1024 * 1024, 'lru');
    cache.set('key1', Buffer.from('value1'));
    const entry = cache.get('key1');
    expect(entry).toBeDefined();
    expect(Buffer.from(entry!.value).toString()).toBe('value1');
  });

  it('test_cache_miss', () => {
    const cache = new CacheNode(1024, 'lru');
    expect(cache.get('nonexistent')).toBeUndefined();
    expect(cache.stats().misses).toBe(1);
  });

  it('test_ttl_expiration', () => {
    let now = 1_000_000;
    const cache = new CacheNode(1024, 'lru', { clock: () => now });
    cache.set('temp', Buffer.from('temporary'), 50);
    expect(cache.get('temp')).toBeDefined();
    now += 100;
    cache.cleanExpired();
    expect(cache.get('temp')).toBeUndefined();
  });

  it('test_lru_eviction', () => {
    const cache = new CacheNode(100, 'lru');
    cache.set('key1', new Uint8Array(40));
    cache.set('key2', new Uint8Array(40));
    cache.get('key1');
    cache.set('key3', new Uint8Array(40));
    expect(cache.get('key1')).toBeDefined();
    expect(cache.get('key2')).toBeUndefined();
    expect(cache.get('key3')).toBeDefined();
  });
});
