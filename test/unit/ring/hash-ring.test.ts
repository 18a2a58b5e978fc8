import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../src/errors.js';
import { HashRing, POINTS_PER_NODE_MAX } from '../../../src/ring/hash-ring.js';
import { hashKey } from '../../../src/ring/hasher.js';
import type { NodeInfo } from '../../../src/types.js';

function node(id: string, weight = 1, isAlive = true): NodeInfo {
  return { id, addr: 'worker', weight, isAlive };
}

function ringOf(ids: readonly string[], virtualNodes = 150): HashRing {
  const ring = new HashRing(virtualNodes);
  for (const id of ids) ring.addNode(node(id));
  return ring;
}

function nodeIds(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `node${i + 1}`);
}

const KEY_COUNT = 100_000;
const KEYS = Array.from({ length: KEY_COUNT }, (_, i) => `key${i}`);
const HASHES = KEYS.map(hashKey);

/** Primary id of every key in KEYS ('' when no node is alive). */
function placement(ring: HashRing): string[] {
  return HASHES.map((hash) => ring.getNodeForHash(hash)?.id ?? '');
}

function countMismatches(a: readonly string[], b: readonly string[]): number {
  let mismatches = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) mismatches++;
  return mismatches;
}

function countByNode(primaries: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const id of primaries) counts.set(id, (counts.get(id) ?? 0) + 1);
  return counts;
}

describe('HashRing: the seed', () => {
  it('test_hash_ring_distribution: 2 nodes share 1000 keys about 50/50', () => {
    const ring = new HashRing(150);
    ring.addNode({ id: 'node1', addr: '127.0.0.1:11211', weight: 1, isAlive: true });
    ring.addNode({ id: 'node2', addr: '127.0.0.1:11212', weight: 1, isAlive: true });
    let node1Count = 0;
    let node2Count = 0;
    for (let i = 0; i < 1000; i++) {
      const found = ring.getNode(`key${i}`);
      if (found?.id === 'node1') node1Count++;
      else if (found?.id === 'node2') node2Count++;
    }
    expect(node1Count + node2Count).toBe(1000);
    const ratio = node1Count / node2Count;
    expect(ratio).toBeGreaterThan(0.8);
    expect(ratio).toBeLessThan(1.2);
  });

  it.each([2, 3, 4, 5, 6, 7, 8, 9])(
    'consistent_hash: adding a node to %i moves ~1/(N+1) of keys, only onto it; removing it restores placement',
    (nodeCount) => {
      const ring = ringOf(nodeIds(nodeCount));
      const before = placement(ring);
      const newId = `node${nodeCount + 1}`;
      ring.addNode(node(newId));
      const after = placement(ring);
      let movedCount = 0;
      let movedElsewhereCount = 0;
      for (let i = 0; i < KEY_COUNT; i++) {
        if (before[i] === after[i]) continue;
        movedCount++;
        if (after[i] !== newId) movedElsewhereCount++;
      }
      expect(movedElsewhereCount).toBe(0);
      const share = 1 / (nodeCount + 1);
      expect(movedCount / KEY_COUNT).toBeGreaterThan(0.8 * share);
      expect(movedCount / KEY_COUNT).toBeLessThan(1.25 * share);

      expect(ring.removeNode(newId)).toBe(true);
      expect(countMismatches(placement(ring), before)).toBe(0);
    },
  );
});

describe('HashRing: balance', () => {
  it.each([2, 3, 4, 5, 6, 7, 8, 9, 10])(
    'with 150 virtual nodes, each of %i nodes gets its share ±25%%',
    (nodeCount) => {
      const counts = countByNode(placement(ringOf(nodeIds(nodeCount))));
      expect(counts.size).toBe(nodeCount);
      const share = KEY_COUNT / nodeCount;
      for (const [id, count] of counts) {
        expect(id).not.toBe('');
        expect(count).toBeGreaterThan(0.75 * share);
        expect(count).toBeLessThan(1.25 * share);
      }
    },
  );

  it('a weight-2 node gets about twice the share of a weight-1 node', () => {
    const ring = new HashRing(150);
    ring.addNode(node('a'));
    ring.addNode(node('b'));
    ring.addNode(node('heavy', 2));
    expect(ring.pointCount).toBe(600);
    const counts = countByNode(placement(ring));
    const heavy = counts.get('heavy') ?? 0;
    for (const id of ['a', 'b']) {
      const light = counts.get(id) ?? 0;
      expect(light).toBeGreaterThan(0.75 * 0.25 * KEY_COUNT);
      expect(light).toBeLessThan(1.25 * 0.25 * KEY_COUNT);
      expect(heavy / light).toBeGreaterThan(1.6);
      expect(heavy / light).toBeLessThan(2.4);
    }
  });

  it('raising a weight only moves keys onto that node, and lowering it restores placement', () => {
    const ring = ringOf(nodeIds(4));
    const before = placement(ring);
    ring.addNode(node('node2', 2));
    const after = placement(ring);
    for (let i = 0; i < KEY_COUNT; i++) {
      if (before[i] !== after[i]) expect(after[i]).toBe('node2');
    }
    ring.addNode(node('node2', 1));
    expect(countMismatches(placement(ring), before)).toBe(0);
  });
});

describe('HashRing: getNodes and liveness', () => {
  const ids = nodeIds(5);

  it('returns distinct nodes, primary first (= getNode)', () => {
    const ring = ringOf(ids);
    for (const key of KEYS.slice(0, 10_000)) {
      const replicas = ring.getNodes(key, 3);
      expect(replicas).toHaveLength(3);
      expect(new Set(replicas.map((n) => n.id)).size).toBe(3);
      expect(replicas[0]).toBe(ring.getNode(key));
    }
  });

  it('returns every alive node when asked for more, and none for count 0', () => {
    const ring = ringOf(ids);
    ring.setAlive('node3', false);
    const replicas = ring.getNodes('some-key', 10);
    expect(replicas.map((n) => n.id).sort()).toEqual(['node1', 'node2', 'node4', 'node5']);
    expect(ring.getNodes('some-key', 0)).toEqual([]);
  });

  it('skips dead nodes, and finds nothing when all are dead', () => {
    const ring = ringOf(ids);
    ring.setAlive('node2', false);
    for (const key of KEYS.slice(0, 10_000)) {
      expect(ring.getNode(key)?.id).not.toBe('node2');
      expect(ring.getNodes(key, 5).map((n) => n.id)).not.toContain('node2');
    }
    for (const id of ids) ring.setAlive(id, false);
    expect(ring.getNode('key1')).toBeUndefined();
    expect(ring.getNodes('key1', 3)).toEqual([]);
  });

  it('a dead node moves only its keys, each to the next distinct alive node clockwise', () => {
    const ring = ringOf(ids);
    const before = HASHES.map((hash) => ring.getNodesForHash(hash, 3).map((n) => n.id));
    ring.setAlive('node4', false);
    let movedCount = 0;
    for (let i = 0; i < KEY_COUNT; i++) {
      const [primary, second, third] = before[i]!;
      const now = ring.getNodesForHash(HASHES[i]!, 2).map((n) => n.id);
      if (primary === 'node4') {
        movedCount++;
        expect(now).toEqual([second, third]);
      } else if (second === 'node4') {
        expect(now).toEqual([primary, third]);
      } else {
        expect(now).toEqual([primary, second]);
      }
    }
    expect(movedCount).toBeGreaterThan(0);
    ring.setAlive('node4', true);
    for (let i = 0; i < KEY_COUNT; i += 97) {
      expect(ring.getNodesForHash(HASHES[i]!, 3).map((n) => n.id)).toEqual(before[i]);
    }
  });

  it('hands out its own NodeInfo, whose isAlive is what it routes by', () => {
    const passed = node('node1');
    const ring = new HashRing(10);
    ring.addNode(passed);
    passed.isAlive = false; // the ring keeps a copy
    const held = ring.getNode('k');
    expect(held).toEqual(node('node1'));
    expect(held).not.toBe(passed);
    expect(ring.setAlive('node1', false)).toBe(true);
    expect(held?.isAlive).toBe(false);
    expect(ring.nodes()).toEqual([{ ...node('node1'), isAlive: false }]);
    expect(ring.node('node1')).toBe(held);
    expect(ring.getNode('k')).toBeUndefined();
  });
});

describe('HashRing: membership', () => {
  it('re-adding an id replaces the node', () => {
    const ring = ringOf(nodeIds(3));
    ring.addNode({ id: 'node2', addr: '10.0.0.2:11211', weight: 1, isAlive: false });
    expect(ring.nodeCount).toBe(3);
    expect(ring.pointCount).toBe(450);
    expect(ring.node('node2')).toEqual({
      id: 'node2',
      addr: '10.0.0.2:11211',
      weight: 1,
      isAlive: false,
    });
  });

  it('removing an unknown node or marking one alive changes nothing', () => {
    const ring = ringOf(nodeIds(3));
    const before = placement(ring);
    expect(ring.removeNode('nope')).toBe(false);
    expect(ring.setAlive('nope', false)).toBe(false);
    expect(countMismatches(placement(ring), before)).toBe(0);
  });

  it('placement does not depend on insertion order', () => {
    const forward = ringOf(nodeIds(6));
    const backward = ringOf(nodeIds(6).reverse());
    expect(backward.positions()).toEqual(forward.positions());
    expect(countMismatches(placement(backward), placement(forward))).toBe(0);
    expect(forward.nodes().map((n) => n.id)).toEqual(nodeIds(6));
  });

  it('positions are ascending, virtualNodes × weight of them', () => {
    const ring = new HashRing(40);
    ring.addNode(node('a', 1));
    ring.addNode(node('b', 3));
    const positions = ring.positions();
    expect(positions).toHaveLength(160);
    expect(ring.pointCount).toBe(160);
    for (let i = 1; i < positions.length; i++) {
      expect(positions[i - 1]! <= positions[i]!).toBe(true);
    }
  });

  it('a clone has the same placement and is independent', () => {
    const ring = ringOf(nodeIds(4));
    const copy = ring.clone();
    expect(countMismatches(placement(copy), placement(ring))).toBe(0);
    expect(copy.virtualNodes).toBe(150);
    ring.setAlive('node1', false);
    ring.addNode(node('node9'));
    expect(copy.node('node1')?.isAlive).toBe(true);
    expect(copy.node('node9')).toBeUndefined();
    expect(copy.pointCount).toBe(600);
  });

  it('an empty ring finds nothing', () => {
    const ring = new HashRing();
    expect(ring.virtualNodes).toBe(150);
    expect(ring.getNode('key')).toBeUndefined();
    expect(ring.getNodes('key', 3)).toEqual([]);
    expect(ring.getNodeForHash(123n)).toBeUndefined();
    expect(ring.vnodeForHash(123n)).toBeUndefined();
    expect(ring.nodes()).toEqual([]);
    expect(ring.positions()).toHaveLength(0);
    ring.addNode(node('only'));
    ring.removeNode('only');
    expect(ring.getNode('key')).toBeUndefined();
  });
});

describe('HashRing: hashes and virtual nodes', () => {
  it('key and hash lookups agree', () => {
    const ring = ringOf(nodeIds(7));
    ring.setAlive('node3', false);
    for (let i = 0; i < 5000; i++) {
      expect(ring.getNode(KEYS[i]!)).toBe(ring.getNodeForHash(HASHES[i]!));
      expect(ring.getNodes(KEYS[i]!, 3)).toEqual(ring.getNodesForHash(HASHES[i]!, 3));
    }
  });

  it('a key belongs to the first point at or after its hash, wrapping to the first', () => {
    const ring = new HashRing(3);
    ring.addNode(node('a'));
    ring.addNode(node('b'));
    const positions = ring.positions();
    const first = positions[0]!;
    const last = positions[positions.length - 1]!;
    const ownerOfFirst = ring.getNodeForHash(first);
    expect(ring.getNodeForHash(0n)).toBe(ownerOfFirst);
    expect(ring.getNodeForHash(last + 1n)).toBe(ownerOfFirst);
    expect(ring.getNodeForHash(2n ** 64n - 1n)).toBe(ownerOfFirst);
    for (let i = 1; i < positions.length; i++) {
      const owner = ring.getNodeForHash(positions[i]!);
      expect(ring.getNodeForHash(positions[i - 1]! + 1n)).toBe(owner);
      expect(ring.vnodeForHash(positions[i]!)).toBe(Number(positions[i]! & 0xffffffffn));
    }
  });

  it('takes hashes mod 2^64', () => {
    const ring = ringOf(nodeIds(3));
    for (const hash of HASHES.slice(0, 100)) {
      expect(ring.getNodeForHash(hash + 2n ** 64n)).toBe(ring.getNodeForHash(hash));
    }
    expect(ring.getNodeForHash(-1n)).toBe(ring.getNodeForHash(2n ** 64n - 1n));
  });

  it('vnode ids are uint32s that change only for keys a new point takes, never with liveness', () => {
    const ring = ringOf(nodeIds(3));
    const before = HASHES.map((hash) => ring.vnodeForHash(hash));
    ring.addNode(node('node4'));
    const node4Ids = new Set(
      Array.from(ringOf(['node4']).positions(), (p) => Number(p & 0xffffffffn)),
    );
    const afterJoin = HASHES.map((hash) => ring.vnodeForHash(hash));
    let keptCount = 0;
    for (let i = 0; i < KEY_COUNT; i++) {
      const vnode = afterJoin[i]!;
      expect(Number.isInteger(vnode) && vnode >= 0 && vnode < 2 ** 32).toBe(true);
      if (vnode === before[i]) keptCount++;
      else expect(node4Ids.has(vnode)).toBe(true);
    }
    expect(keptCount).toBeGreaterThan(0.6 * KEY_COUNT);
    ring.setAlive('node1', false);
    expect(HASHES.map((hash) => ring.vnodeForHash(hash))).toEqual(afterJoin);
  });

  it("a node's vnode ids do not depend on the other nodes", () => {
    const alone = ringOf(['node1']);
    const aloneIds = new Set(Array.from(alone.positions(), (p) => Number(p & 0xffffffffn)));
    const shared = ringOf(nodeIds(5));
    for (let i = 0; i < 20_000; i++) {
      if (shared.getNodeForHash(HASHES[i]!)?.id === 'node1') {
        expect(aloneIds.has(shared.vnodeForHash(HASHES[i]!)!)).toBe(true);
      }
    }
  });
});

describe('HashRing: argument checks', () => {
  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, POINTS_PER_NODE_MAX + 1])(
    'rejects virtualNodes = %d',
    (virtualNodes) => {
      expect(() => new HashRing(virtualNodes)).toThrow(InvalidArgumentError);
    },
  );

  it.each([0, -1, 1.5, Number.NaN])('rejects weight = %d', (weight) => {
    expect(() => new HashRing(10).addNode(node('a', weight))).toThrow(InvalidArgumentError);
  });

  it('rejects an empty id and too many points for one node', () => {
    expect(() => new HashRing(10).addNode(node(''))).toThrow(InvalidArgumentError);
    expect(() => new HashRing(1024).addNode(node('a', 1025))).toThrow(InvalidArgumentError);
  });

  it.each([-1, 1.5, Number.NaN])('rejects count = %d', (count) => {
    const ring = ringOf(nodeIds(2));
    expect(() => ring.getNodes('k', count)).toThrow(InvalidArgumentError);
  });

  it('keeps the ring unchanged after a rejected addNode', () => {
    const ring = ringOf(nodeIds(2));
    expect(() => ring.addNode(node('node1', 0))).toThrow(InvalidArgumentError);
    expect(ring.node('node1')?.weight).toBe(1);
    expect(ring.pointCount).toBe(300);
  });
});
