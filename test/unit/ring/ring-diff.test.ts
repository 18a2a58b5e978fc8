import { describe, expect, it } from 'vitest';
import { HashRing } from '../../../src/ring/hash-ring.js';
import { hashKey } from '../../../src/ring/hasher.js';
import {
  diffReplicaSets,
  isHashInRange,
  type ReplicaSetChange,
} from '../../../src/ring/ring-diff.js';
import type { NodeInfo } from '../../../src/types.js';

function node(id: string, weight = 1): NodeInfo {
  return { id, addr: 'worker', weight, isAlive: true };
}

function ringOf(ids: readonly string[]): HashRing {
  const ring = new HashRing(150);
  for (const id of ids) ring.addNode(node(id));
  return ring;
}

const HASHES = Array.from({ length: 10_000 }, (_, i) => hashKey(`key${i}`));

function replicaIds(ring: HashRing, hash: bigint, count: number): string {
  return ring
    .getNodesForHash(hash, count)
    .map((n) => n.id)
    .sort()
    .join(',');
}

function findChange(changes: readonly ReplicaSetChange[], hash: bigint) {
  const matching = changes.filter((c) => isHashInRange(hash, c.fromExclusive, c.toInclusive));
  expect(matching.length).toBeLessThanOrEqual(1);
  return matching[0];
}

/** Every key is in a reported range exactly when its replica set changed, with those sets. */
function expectExactDiff(before: HashRing, after: HashRing, count: number): ReplicaSetChange[] {
  const changes = diffReplicaSets(before, after, count);
  for (const hash of HASHES) {
    const change = findChange(changes, hash);
    const wasIds = replicaIds(before, hash, count);
    const isIds = replicaIds(after, hash, count);
    if (change === undefined) {
      expect(isIds).toBe(wasIds);
    } else {
      expect(isIds).not.toBe(wasIds);
      expect(change.before).toEqual(before.getNodesForHash(hash, count));
      expect(change.after).toEqual(after.getNodesForHash(hash, count));
    }
  }
  return changes;
}

describe('diffReplicaSets', () => {
  it('after a node joins: exactly the keys that gain it, about count/(N+1) of them', () => {
    const before = ringOf(['a', 'b', 'c', 'd']);
    const after = before.clone();
    after.addNode(node('e'));
    const changes = expectExactDiff(before, after, 2);
    for (const change of changes) {
      expect(change.after.map((n) => n.id)).toContain('e');
      expect(change.before.map((n) => n.id)).not.toContain('e');
    }
    const changedCount = HASHES.filter((h) => findChange(changes, h) !== undefined).length;
    expect(changedCount / HASHES.length).toBeGreaterThan(0.8 * (2 / 5));
    expect(changedCount / HASHES.length).toBeLessThan(1.25 * (2 / 5));
  });

  it('after a node leaves or dies: exactly the keys it held', () => {
    const before = ringOf(['a', 'b', 'c', 'd', 'e']);
    const removed = before.clone();
    removed.removeNode('c');
    const dead = before.clone();
    dead.setAlive('c', false);
    for (const after of [removed, dead]) {
      const changes = expectExactDiff(before, after, 3);
      for (const change of changes) {
        expect(change.before.map((n) => n.id)).toContain('c');
      }
    }
    expect(diffReplicaSets(before, removed, 3)).toEqual(diffReplicaSets(before, dead, 3));
  });

  it('reports nothing for equal rings, and the whole ring from an empty one', () => {
    const ring = ringOf(['a', 'b', 'c']);
    expect(diffReplicaSets(ring, ring.clone(), 2)).toEqual([]);
    expect(diffReplicaSets(new HashRing(), new HashRing(), 2)).toEqual([]);
    const changes = expectExactDiff(new HashRing(), ring, 2);
    expect(changes.length).toBeGreaterThan(0);
  });

  it('covers the whole ring with one range when one ring has a single point', () => {
    const single = new HashRing(1);
    single.addNode(node('a'));
    const changes = diffReplicaSets(new HashRing(1), single, 1);
    expect(changes).toHaveLength(1);
    expect(changes[0]?.fromExclusive).toBe(changes[0]?.toInclusive);
    expect(HASHES.every((h) => findChange(changes, h) !== undefined)).toBe(true);
  });
});

describe('isHashInRange', () => {
  it('is (from, to], wrapping when from ≥ to', () => {
    expect(isHashInRange(5n, 5n, 10n)).toBe(false);
    expect(isHashInRange(6n, 5n, 10n)).toBe(true);
    expect(isHashInRange(10n, 5n, 10n)).toBe(true);
    expect(isHashInRange(11n, 5n, 10n)).toBe(false);
    expect(isHashInRange(2n ** 64n - 1n, 10n, 5n)).toBe(true);
    expect(isHashInRange(0n, 10n, 5n)).toBe(true);
    expect(isHashInRange(5n, 10n, 5n)).toBe(true);
    expect(isHashInRange(7n, 10n, 5n)).toBe(false);
    expect(isHashInRange(10n, 10n, 5n)).toBe(false);
    expect(isHashInRange(123n, 7n, 7n)).toBe(true);
  });
});
