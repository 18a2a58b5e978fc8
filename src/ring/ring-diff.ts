/**
 * Which keys change replica set between two rings: what a topology change (or a node marked
 * dead) asks the cluster to copy.
 *
 * Between two consecutive points of either ring, neither ring has a point, so every hash in that
 * arc has the same successor point in each ring, and so the same replica set: the one of the
 * arc's end. Evaluating both rings once per arc of the merged point list is therefore exact:
 *
 * ```
 *   before:   ──●───────────●──────────────●──
 *   after:    ──●─────●─────●──────────────●──      (a new node's point ● in the middle)
 *   arcs:       (─────](────](─────────────]
 *                  ▲ changed: keys here now also live on the new node
 * ```
 */
import type { NodeInfo } from '../types.js';
import type { HashRing } from './hash-ring.js';

/**
 * Keys whose hash is in (fromExclusive, toInclusive] change replica set from `before` to
 * `after` (both primary first). The range wraps past 2^64 - 1 to 0 when fromExclusive ≥
 * toInclusive; fromExclusive === toInclusive means the whole ring.
 */
export interface ReplicaSetChange {
  readonly fromExclusive: bigint;
  readonly toInclusive: bigint;
  readonly before: readonly NodeInfo[];
  readonly after: readonly NodeInfo[];
}

/**
 * The hash ranges whose set of `replicaCount` replicas differs between two rings, compared as
 * sets of node ids: a range where only the order changes (a new primary among the same nodes)
 * needs no data moved and is not reported. Liveness counts as in lookups, so diffing a ring
 * against a clone with one node marked dead gives the ranges to repair. Adjacent changed arcs
 * with the same before and after sets are merged (except across 0). Typical use:
 *
 * ```ts
 * const before = ring.clone();
 * ring.addNode(node);
 * for (const change of diffReplicaSets(before, ring, replicationFactor)) … // copy those keys
 * ```
 *
 * Cost: O(A × (replicaCount + walk)) for A = the points of both rings, with a small array per arc.
 */
export function diffReplicaSets(
  before: HashRing,
  after: HashRing,
  replicaCount: number,
): ReplicaSetChange[] {
  const boundaries = mergePositions(before.positions(), after.positions());
  const changes: ReplicaSetChange[] = [];
  let previousEnd = boundaries[boundaries.length - 1];
  for (const end of boundaries) {
    const from = previousEnd ?? end;
    previousEnd = end;
    const beforeSet = before.getNodesForHash(end, replicaCount);
    const afterSet = after.getNodesForHash(end, replicaCount);
    if (haveSameIds(beforeSet, afterSet)) continue;
    const last = changes[changes.length - 1];
    if (
      last !== undefined &&
      last.toInclusive === from &&
      haveSameOrderedIds(last.before, beforeSet) &&
      haveSameOrderedIds(last.after, afterSet)
    ) {
      changes[changes.length - 1] = { ...last, toInclusive: end };
    } else {
      changes.push({ fromExclusive: from, toInclusive: end, before: beforeSet, after: afterSet });
    }
  }
  return changes;
}

/** Whether `hash` lies in (fromExclusive, toInclusive], with `ReplicaSetChange`'s wrapping. */
export function isHashInRange(hash: bigint, fromExclusive: bigint, toInclusive: bigint): boolean {
  if (fromExclusive < toInclusive) return hash > fromExclusive && hash <= toInclusive;
  if (fromExclusive === toInclusive) return true;
  return hash > fromExclusive || hash <= toInclusive;
}

/** Sorted, duplicate-free union of two ascending position lists. */
function mergePositions(a: BigUint64Array, b: BigUint64Array): bigint[] {
  const all = new BigUint64Array(a.length + b.length);
  all.set(a);
  all.set(b, a.length);
  all.sort();
  const merged: bigint[] = [];
  for (const position of all) {
    if (merged[merged.length - 1] !== position) merged.push(position);
  }
  return merged;
}

function haveSameIds(a: readonly NodeInfo[], b: readonly NodeInfo[]): boolean {
  return a.length === b.length && a.every((node) => b.some((other) => other.id === node.id));
}

function haveSameOrderedIds(a: readonly NodeInfo[], b: readonly NodeInfo[]): boolean {
  return a.length === b.length && a.every((node, i) => b[i]?.id === node.id);
}
