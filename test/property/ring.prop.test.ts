/**
 * Ring placement against a brute-force model: every point listed, sorted, and walked one by one.
 * The model shares only the spec with the ring (point i of node id sits at xxh64("<id>#<i>"),
 * ties ordered by id then index), none of its search or bookkeeping.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import xxhash from 'xxhash-wasm';
import { HashRing } from '../../src/ring/hash-ring.js';
import { hashBytes, hashKey } from '../../src/ring/hasher.js';
import { diffReplicaSets, isHashInRange } from '../../src/ring/ring-diff.js';
import type { NodeInfo } from '../../src/types.js';

// fast-check prints the seed and path of a failing run; rerun with { seed, path } to replay it.
const RUNS = { numRuns: 150, interruptAfterTimeLimit: 20_000, markInterruptAsFailure: false };

const U64_MAX = 2n ** 64n - 1n;

interface ModelPoint {
  readonly position: bigint;
  readonly id: string;
  readonly index: number;
}

function modelPoints(virtualNodes: number, nodes: readonly NodeInfo[]): ModelPoint[] {
  const points: ModelPoint[] = [];
  for (const { id, weight } of nodes) {
    for (let index = 0; index < virtualNodes * weight; index++) {
      points.push({ position: hashKey(`${id}#${index}`), id, index });
    }
  }
  return points.sort((a, b) => {
    if (a.position !== b.position) return a.position < b.position ? -1 : 1;
    if (a.id !== b.id) return a.id < b.id ? -1 : 1;
    return a.index - b.index;
  });
}

function modelSuccessor(points: readonly ModelPoint[], hash: bigint): number {
  const found = points.findIndex((p) => p.position >= hash);
  return found === -1 ? 0 : found;
}

function modelReplicas(
  points: readonly ModelPoint[],
  nodes: readonly NodeInfo[],
  hash: bigint,
  count: number,
): string[] {
  const alive = new Set(nodes.filter((n) => n.isAlive).map((n) => n.id));
  const start = modelSuccessor(points, hash);
  const replicas: string[] = [];
  for (let step = 0; step < points.length && replicas.length < count; step++) {
    const { id } = points[(start + step) % points.length]!;
    if (alive.has(id) && !replicas.includes(id)) replicas.push(id);
  }
  return replicas;
}

// Ids include '#' and prefixes of one another, so "<id>#<i>" labels would collide if the
// encoding were ambiguous.
const idArb = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1, maxLength: 6 }),
  fc.constantFrom('a', 'a#', 'a#1', '#', '#1', 'a#10', 'node1', 'node10'),
);
const nodeArb = fc.record({
  id: idArb,
  addr: fc.constant('worker'),
  weight: fc.integer({ min: 1, max: 3 }),
  isAlive: fc.boolean(),
});
const clusterArb = fc.record({
  virtualNodes: fc.integer({ min: 1, max: 12 }),
  nodes: fc.uniqueArray(nodeArb, { selector: (n) => n.id, maxLength: 8 }),
});
const hashArb = fc.bigInt({ min: 0n, max: U64_MAX });
const keyArb = fc.string({ unit: 'binary', minLength: 1, maxLength: 20 });

function buildRing(virtualNodes: number, nodes: readonly NodeInfo[]): HashRing {
  const ring = new HashRing(virtualNodes);
  for (const n of nodes) ring.addNode(n);
  return ring;
}

/** Hashes worth checking: random ones plus each point's position and its neighbours. */
function probeHashes(ring: HashRing, random: readonly bigint[]): bigint[] {
  const probes = [...random, 0n, U64_MAX];
  for (const position of ring.positions()) {
    probes.push(position, position === 0n ? U64_MAX : position - 1n, (position + 1n) & U64_MAX);
  }
  return probes;
}

function idsOf(nodes: readonly NodeInfo[]): string[] {
  return nodes.map((n) => n.id);
}

describe('ring placement (property)', () => {
  it('getNodes / getNode / vnodeForHash equal the brute-force walk', () => {
    fc.assert(
      fc.property(
        clusterArb,
        fc.array(hashArb, { maxLength: 20 }),
        fc.array(keyArb, { maxLength: 10 }),
        ({ virtualNodes, nodes }, hashes, keys) => {
          const ring = buildRing(virtualNodes, nodes);
          const points = modelPoints(virtualNodes, nodes);
          for (const hash of [...probeHashes(ring, hashes), ...keys.map(hashKey)]) {
            for (let count = 0; count <= nodes.length + 1; count++) {
              expect(idsOf(ring.getNodesForHash(hash, count))).toEqual(
                modelReplicas(points, nodes, hash, count),
              );
            }
            expect(ring.getNodeForHash(hash)?.id).toBe(modelReplicas(points, nodes, hash, 1)[0]);
            const owner = points[modelSuccessor(points, hash)];
            expect(ring.vnodeForHash(hash)).toBe(
              owner === undefined ? undefined : Number(owner.position & 0xffffffffn),
            );
          }
          for (const key of keys) {
            expect(idsOf(ring.getNodes(key, 2))).toEqual(
              modelReplicas(points, nodes, hashKey(key), 2),
            );
          }
        },
      ),
      RUNS,
    );
  });

  it('placement ignores insertion order, and remove + re-add restores it', () => {
    fc.assert(
      fc.property(
        clusterArb,
        fc.nat(),
        fc.array(hashArb, { maxLength: 20 }),
        ({ virtualNodes, nodes }, pick, hashes) => {
          const ring = buildRing(virtualNodes, nodes);
          const reversed = buildRing(virtualNodes, [...nodes].reverse());
          const probes = probeHashes(ring, hashes);
          const replicasOf = (r: HashRing) => probes.map((h) => idsOf(r.getNodesForHash(h, 3)));
          const before = replicasOf(ring);
          expect(replicasOf(reversed)).toEqual(before);
          const chosen = nodes[pick % Math.max(1, nodes.length)];
          if (chosen === undefined) return;
          ring.removeNode(chosen.id);
          ring.addNode(chosen);
          expect(replicasOf(ring)).toEqual(before);
          expect(ring.positions()).toEqual(reversed.positions());
        },
      ),
      RUNS,
    );
  });

  it('a joining node takes keys only for itself', () => {
    fc.assert(
      fc.property(
        clusterArb,
        nodeArb,
        fc.array(hashArb, { maxLength: 30 }),
        ({ virtualNodes, nodes }, joining, hashes) => {
          fc.pre(!nodes.some((n) => n.id === joining.id));
          const ring = buildRing(virtualNodes, nodes);
          const probes = probeHashes(ring, hashes);
          const before = probes.map((h) => ring.getNodeForHash(h)?.id);
          ring.addNode({ ...joining, isAlive: true });
          probes.forEach((hash, i) => {
            const now = ring.getNodeForHash(hash)?.id;
            if (now !== before[i]) expect(now).toBe(joining.id);
          });
        },
      ),
      RUNS,
    );
  });

  it('diffReplicaSets reports exactly the hashes whose replica set changes', () => {
    const changeArb = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), node: nodeArb }),
      fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('alive' as const), pick: fc.nat(), isAlive: fc.boolean() }),
    );
    fc.assert(
      fc.property(
        clusterArb,
        changeArb,
        fc.integer({ min: 1, max: 3 }),
        fc.array(hashArb, { maxLength: 30 }),
        ({ virtualNodes, nodes }, change, replicaCount, hashes) => {
          const before = buildRing(virtualNodes, nodes);
          const after = before.clone();
          const target = nodes[change.kind === 'add' ? 0 : change.pick % Math.max(1, nodes.length)];
          if (change.kind === 'add') after.addNode(change.node);
          else if (change.kind === 'remove') after.removeNode(target?.id ?? '');
          else after.setAlive(target?.id ?? '', change.isAlive);
          const changes = diffReplicaSets(before, after, replicaCount);
          const setOf = (r: HashRing, h: bigint) =>
            idsOf(r.getNodesForHash(h, replicaCount)).sort().join('\u0000');
          for (const hash of [...probeHashes(before, hashes), ...probeHashes(after, [])]) {
            const inRanges = changes.filter((c) =>
              isHashInRange(hash, c.fromExclusive, c.toInclusive),
            );
            expect(inRanges.length).toBeLessThanOrEqual(1);
            expect(inRanges.length === 1).toBe(setOf(before, hash) !== setOf(after, hash));
          }
        },
      ),
      RUNS,
    );
  });

  it('an empty ring finds nothing', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), hashArb, keyArb, fc.nat(5), (v, h, key, n) => {
        const ring = new HashRing(v);
        expect(ring.getNodeForHash(h)).toBeUndefined();
        expect(ring.getNode(key)).toBeUndefined();
        expect(ring.getNodes(key, n)).toEqual([]);
        expect(ring.vnodeForHash(h)).toBeUndefined();
      }),
      RUNS,
    );
  });
});

describe('hasher (property)', () => {
  it('matches xxhash-wasm h64 / h64Raw, and a string hashes as its UTF-8 bytes', async () => {
    const api = await xxhash();
    const utf8 = new TextEncoder();
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), fc.uint8Array(), (s, bytes) => {
        expect(hashKey(s)).toBe(api.h64(s, 0n));
        expect(hashKey(s)).toBe(hashBytes(utf8.encode(s)));
        expect(hashBytes(bytes)).toBe(api.h64Raw(bytes, 0n));
      }),
      { ...RUNS, numRuns: 500 },
    );
  });
});
