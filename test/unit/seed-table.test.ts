import { describe, expect, it } from 'vitest';
import { ProtocolParser } from '../../src/protocol/parser.js';
import { HashRing } from '../../src/ring/hash-ring.js';
import { CacheNode } from '../../src/storage/cache-node.js';

// One test per row of the seed's test table (shared/seed, section 4.1). The `replication` row
// runs at ring level here (which nodes hold a key); the DistributedCache version, with real
// worker threads, belongs to the cluster suite.

const text = (bytes: Uint8Array | undefined): string | undefined =>
  bytes === undefined ? undefined : Buffer.from(bytes).toString();

function fakeClock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
  };
}

function ring(ids: readonly string[]): HashRing {
  const r = new HashRing(150);
  for (const id of ids) r.addNode({ id, addr: 'worker', weight: 1, isAlive: true });
  return r;
}

describe('seed test table', () => {
  it('get_miss: key not found → None', () => {
    const node = new CacheNode(1024);
    expect(node.get('absent')).toBeUndefined();
    expect(node.stats()).toMatchObject({ hits: 0, misses: 1 });
  });

  it('set_get: set then get → value', () => {
    const node = new CacheNode(1024);
    expect(node.set('k', Buffer.from('v1'), 0, 7)).toBe(true);
    const entry = node.get('k');
    expect(text(entry?.value)).toBe('v1');
    expect(entry?.flags).toBe(7);
  });

  it('delete: delete key → removed', () => {
    const node = new CacheNode(1024);
    node.set('k', Buffer.from('v'));
    expect(node.delete('k')).toBe(true);
    expect(node.get('k')).toBeUndefined();
    expect(node.delete('k')).toBe(false);
    expect(node.stats()).toMatchObject({ entryCount: 0, bytesStored: 0 });
  });

  it('ttl_expire: wait for TTL → None', () => {
    const clock = fakeClock();
    const node = new CacheNode(1024, 'lru', { clock: clock.now });
    node.set('t', Buffer.from('x'), 50);
    clock.advance(49);
    expect(text(node.get('t')?.value)).toBe('x');
    clock.advance(1);
    expect(node.get('t')).toBeUndefined();
    expect(node.stats()).toMatchObject({ expired: 1, misses: 1, hits: 1, entryCount: 0 });
  });

  it('lru_eviction: exceed memory → oldest evicted', () => {
    const node = new CacheNode(100);
    node.set('a', new Uint8Array(30));
    node.set('b', new Uint8Array(30));
    node.set('c', new Uint8Array(30));
    node.get('a');
    node.set('d', new Uint8Array(30));
    expect(node.get('b')).toBeUndefined();
    for (const k of ['a', 'c', 'd']) expect(node.get(k)).toBeDefined();
    expect(node.stats().evictions).toBe(1);
    expect(node.stats().bytesStored).toBeLessThanOrEqual(100);
  });

  it('consistent_hash: adding a node moves ~1/(N+1) of keys, only onto it; removing moves them back', () => {
    const keys = Array.from({ length: 100_000 }, (_, i) => `key${i}`);
    const before = ring(['n1', 'n2', 'n3', 'n4']);
    const placed = keys.map((k) => before.getNode(k)?.id);
    const after = ring(['n1', 'n2', 'n3', 'n4', 'n5']);
    let moved = 0;
    keys.forEach((k, i) => {
      const id = after.getNode(k)?.id;
      if (id !== placed[i]) {
        moved++;
        expect(id).toBe('n5');
      }
    });
    expect(moved / keys.length).toBeGreaterThan(0.8 / 5);
    expect(moved / keys.length).toBeLessThan(1.25 / 5);
    after.removeNode('n5');
    keys.forEach((k, i) => {
      expect(after.getNode(k)?.id).toBe(placed[i]);
    });
  });

  it('replication: RF=3 → on 3 distinct nodes, primary first', () => {
    const r = ring(['node1', 'node2', 'node3']);
    const replicas = r.getNodes('mykey', 3);
    expect(replicas.map((n) => n.id).sort()).toEqual(['node1', 'node2', 'node3']);
    expect(replicas[0]?.id).toBe(r.getNode('mykey')?.id);
  });

  it('incr_decr: incr numeric → new value', () => {
    const node = new CacheNode(1024);
    node.set('n', Buffer.from('41'));
    expect(node.incr('n', 1)).toBe(42n);
    expect(node.incr('n', -50)).toBe(0n);
    expect(node.decr('n', 1)).toBe(0n);
    expect(node.incr('n', 18446744073709551615n)).toBe(18446744073709551615n);
    expect(node.incr('n', 1)).toBe(0n);
    expect(node.incr('missing', 1)).toBeUndefined();
    expect(text(node.get('n')?.value)).toBe('0');
  });

  it('protocol_parse: "get key\\r\\n" → a get command; set carries its value', () => {
    expect(ProtocolParser.parse(Buffer.from('get mykey\r\n'))).toEqual({
      type: 'get',
      keys: ['mykey'],
    });
    const set = ProtocolParser.parse(Buffer.from('set mykey 0 0 5\r\nvalue\r\n'));
    expect(set.type).toBe('set');
    if (set.type !== 'set') return;
    expect(set.key).toBe('mykey');
    expect(text(set.value)).toBe('value');
  });

  it('stats: after operations → correct counts', () => {
    const clock = fakeClock();
    const node = new CacheNode(60, 'lru', { clock: clock.now });
    node.set('a', new Uint8Array(19)); // 20 bytes
    node.set('b', new Uint8Array(19), 10);
    node.get('a'); // hit
    node.get('zz'); // miss
    clock.advance(10);
    node.get('b'); // expired: one miss, one expiry
    node.set('c', new Uint8Array(29)); // 30 bytes: fits beside a
    node.set('d', new Uint8Array(19)); // 20 more: evicts a (least recent)
    expect(node.stats()).toMatchObject({
      hits: 1,
      misses: 2,
      expired: 1,
      evictions: 1,
      entryCount: 2,
      bytesStored: 50,
    });
  });
});
