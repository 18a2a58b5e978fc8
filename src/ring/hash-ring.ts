/**
 * The consistent-hash ring: which nodes hold a key.
 *
 * Every node puts `virtualNodes × weight` points on a circle of 2^64 positions; point `i` of node
 * `id` sits at `xxh64("<id>#<i>")`. A key hashes (xxh64) to a position and belongs to the first
 * point at or after it, wrapping past 2^64 - 1 to 0. Its replica set is the first `count`
 * DISTINCT alive owners met walking on clockwise.
 *
 * ```
 *                       0 = 2^64
 *              A#17 ●───────┼──▲────● B#2       hash(k) lands at ▲
 *                 ╱                   ╲
 *          C#3 ●                        ● C#88   getNodes(k, 3) = [B, C, A]
 *              │       clockwise =      │          (B#2 → B, C#88 → C, A#9 → A)
 *          B#0 ●   increasing position  ● A#9    getNode(k) = B, the primary
 *                 ╲                   ╱          C dead: getNodes(k, 3) = [B, A]
 *              A#4 ●─────────────────● B#41        (C#88 skipped: dead; B#41: met;
 *                                                   stops once all 3 nodes are met)
 * ```
 *
 * Why the placement is stable: a point's position depends only on (node id, point index), and
 * points at equal positions are ordered by (node id, point index). So placement is a pure
 * function of the set of (id, weight) pairs: insertion order does not matter, removing and
 * re-adding a node restores exactly the same placement, adding a node only moves keys onto it,
 * and raising a node's weight keeps its old points. Liveness never moves a point: a dead node's
 * keys are served by the next distinct alive node clockwise, and come back when it is alive.
 *
 * Lookup (measured on this machine, 600 and 2,400 points): a binary search over a sorted
 * BigUint64Array took 85-115 ns, one over split hi/lo Uint32Arrays 65-90 ns (bigint compares,
 * mispredicted branches); the bucket index used here, which maps the top bits of the hash to the
 * few points that can own it, takes ~11 ns whatever the ring size (up to ~64k points). Hashing
 * the key (xxh64 via wasm, ~80 ns) costs far more than the lookup. No lookup allocates beyond
 * the hash and the array `getNodes` returns.
 *
 * Which keys change replica set between two rings (for rebalancing): see `diffReplicaSets` in
 * `ring-diff.ts`; it evaluates `getNodesForHash` of both rings once per arc between points.
 */
import { InvalidArgumentError } from '../errors.js';
import type { NodeInfo } from '../types.js';
import { hashKey } from './hasher.js';

/**
 * The identity of one ring point: the low 32 bits of its position, so a function of (node id,
 * point index) alone. It survives every other change to the ring, which is what lets storage use
 * it as a partition id. Not guaranteed unique: two points share an id with probability about
 * P²/2³³ for P points (≈ 7e-4 for 16 nodes × 150), so treat a partition as a grouping of keys and
 * decide per key (by its hash) when moving data.
 */
export type VNodeId = number & { readonly __brand: 'VNodeId' };

/** The seed's virtual-node count: enough for ±25% balance with 10 nodes. */
export const DEFAULT_VIRTUAL_NODES = 150;

/** Upper bound on `virtualNodes × weight`: keeps a typo from hashing a billion points. */
export const POINTS_PER_NODE_MAX = 1 << 20;

const BUCKET_BITS_MAX = 16;

// Splits a uint64 bigint into two uint32 numbers without allocating: write it to a BigUint64Array
// and read the words back through a Uint32Array view. Word order follows the platform's.
const SCRATCH_64 = new BigUint64Array(1);
const SCRATCH_32 = new Uint32Array(SCRATCH_64.buffer);
const IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HI_WORD = IS_LITTLE_ENDIAN ? 1 : 0;
const LO_WORD = 1 - HI_WORD;

/** The high 32 bits of a uint64 hash, without building a BigInt. */
export function high32(hash: bigint): number {
  SCRATCH_64[0] = hash;
  return SCRATCH_32[HI_WORD]!;
}

interface Member {
  /** The ring's own copy: what lookups hand out and `setAlive` changes. */
  readonly info: NodeInfo;
  /** Position of point i at index i. Never written after creation, so clones share it. */
  readonly positions: BigUint64Array;
}

/**
 * A consistent-hash ring of `NodeInfo`s. Synchronous and single-threaded; lookups never allocate
 * beyond the key's hash and a returned array.
 *
 * NodeInfo objects handed out (by lookups, `node`, `nodes`) are the ring's own: `isAlive` on them
 * is the liveness the ring routes by. Change it with `setAlive`.
 */
export class HashRing {
  /** Points per unit of weight. */
  readonly virtualNodes: number;
  readonly #members = new Map<string, Member>();

  // Derived from #members by #rebuild; each array is replaced there, never written in place.
  // Point p (in position order) is at (#hi[p], #lo[p]) and belongs to #owners[#owner[p]].
  #owners: NodeInfo[] = [];
  #positions = new BigUint64Array(0);
  #hi = new Uint32Array(0);
  #lo = new Uint32Array(0);
  #owner = new Int32Array(0);
  // Bucket b holds the points whose top bits (#hi >>> #bucketShift) are b: they are
  // #bucketStart[b] up to #bucketStart[b + 1]. About two buckets per point.
  #bucketStart = new Uint32Array(2);
  #bucketShift = 31;
  // Owners met during the current walk carry the current epoch: a "seen" set that needs no
  // clearing and no allocation per lookup.
  #seen = new Uint32Array(0);
  #epoch = 0;

  /**
   * @param virtualNodes points per unit of weight; a positive integer (≤ `POINTS_PER_NODE_MAX`).
   *   More points balance load better (spread ~1/√virtualNodes) and cost memory (20 bytes a
   *   point) and rebuild time, never lookup time.
   * @throws InvalidArgumentError
   */
  constructor(virtualNodes = DEFAULT_VIRTUAL_NODES) {
    if (!Number.isSafeInteger(virtualNodes) || virtualNodes < 1) {
      throw new InvalidArgumentError('virtualNodes must be a positive integer');
    }
    if (virtualNodes > POINTS_PER_NODE_MAX) {
      throw new InvalidArgumentError(`virtualNodes must be at most ${POINTS_PER_NODE_MAX}`);
    }
    this.virtualNodes = virtualNodes;
  }

  /** Nodes on the ring, alive or not. */
  get nodeCount(): number {
    return this.#members.size;
  }

  /** Points on the ring: Σ virtualNodes × weight. */
  get pointCount(): number {
    return this.#hi.length;
  }

  /**
   * Puts a node on the ring with `virtualNodes × weight` points. Re-adding an id replaces that
   * node (addr, weight, isAlive); objects handed out for it before are then detached. The ring
   * stores a copy of `node`. Cost: hashes the node's points, then rebuilds the lookup arrays,
   * O(P log P) for P points in all.
   * @throws InvalidArgumentError for an empty id or a weight that is not a positive integer
   */
  addNode(node: NodeInfo): void {
    const { id, addr, weight, isAlive } = node;
    if (typeof id !== 'string' || id.length === 0) {
      throw new InvalidArgumentError('node id must be a non-empty string');
    }
    if (!Number.isSafeInteger(weight) || weight < 1) {
      throw new InvalidArgumentError('node weight must be a positive integer');
    }
    const pointCount = this.virtualNodes * weight;
    if (pointCount > POINTS_PER_NODE_MAX) {
      throw new InvalidArgumentError(
        `virtualNodes × weight must be at most ${POINTS_PER_NODE_MAX}`,
      );
    }
    const previous = this.#members.get(id);
    const positions =
      previous?.positions.length === pointCount
        ? previous.positions
        : computePositions(id, pointCount);
    this.#members.set(id, { info: { id, addr, weight, isAlive }, positions });
    this.#rebuild();
  }

  /**
   * Takes a node and its points off the ring; its keys go to the next points clockwise. Cost:
   * O(P log P) rebuild.
   * @returns whether the node was on the ring
   */
  removeNode(id: string): boolean {
    if (!this.#members.delete(id)) return false;
    this.#rebuild();
    return true;
  }

  /**
   * Marks a node alive or dead without moving any point: lookups skip a dead node and its keys
   * go to the next distinct alive node clockwise. O(1).
   * @returns whether the node is on the ring
   */
  setAlive(id: string, isAlive: boolean): boolean {
    const member = this.#members.get(id);
    if (member === undefined) return false;
    member.info.isAlive = isAlive;
    return true;
  }

  /** The node with this id, if it is on the ring. O(1). */
  node(id: string): NodeInfo | undefined {
    return this.#members.get(id)?.info;
  }

  /** Every node on the ring, alive or not, in the order first added. O(N). */
  nodes(): NodeInfo[] {
    return Array.from(this.#members.values(), (member) => member.info);
  }

  /** The first alive node clockwise from the key's hash; undefined if none is alive. */
  getNode(key: string): NodeInfo | undefined {
    return this.getNodeForHash(hashKey(key));
  }

  /**
   * The key's replica set: the first `count` distinct alive nodes clockwise from its hash,
   * primary first (the primary is `getNode(key)`). Fewer when fewer nodes are alive.
   * @throws InvalidArgumentError if count is not a non-negative integer
   */
  getNodes(key: string, count: number): NodeInfo[] {
    return this.getNodesForHash(hashKey(key), count);
  }

  /**
   * `getNode` for a precomputed xxh64 (`hashKey`/`hashBytes`; taken mod 2^64). O(1) expected
   * while the owner is alive; with dead nodes, walks until an alive one (or every node) is met.
   */
  getNodeForHash(hash: bigint): NodeInfo | undefined {
    if (this.#hi.length === 0) return undefined;
    const first = this.#owners[this.#owner[this.#successor(hash)]!]!;
    if (first.isAlive) return first;
    return this.getNodesForHash(hash, 1)[0];
  }

  /**
   * `getNodes` for a precomputed xxh64 (taken mod 2^64). The walk stops at `count` alive nodes
   * or once every node has been met, and never passes more than P points, so it terminates
   * whatever the liveness. Allocates only the returned array.
   * @throws InvalidArgumentError if count is not a non-negative integer
   */
  getNodesForHash(hash: bigint, count: number): NodeInfo[] {
    if (!Number.isSafeInteger(count) || count < 0) {
      throw new InvalidArgumentError('count must be a non-negative integer');
    }
    const found: NodeInfo[] = [];
    const pointCount = this.#hi.length;
    if (pointCount === 0 || count === 0) return found;
    const ownerCount = this.#owners.length;
    const seen = this.#seen;
    const epoch = this.#nextEpoch();
    let metCount = 0;
    let point = this.#successor(hash);
    for (let step = 0; step < pointCount; step++) {
      const owner = this.#owner[point]!;
      if (seen[owner] !== epoch) {
        seen[owner] = epoch;
        metCount++;
        const node = this.#owners[owner]!;
        if (node.isAlive) {
          found.push(node);
          if (found.length === count) break;
        }
        if (metCount === ownerCount) break;
      }
      point = point + 1 === pointCount ? 0 : point + 1;
    }
    return found;
  }

  /**
   * The stable id of the point that owns this hash (the key's partition), whatever the liveness
   * of its node; undefined on an empty ring. O(1) expected. See `VNodeId` for its guarantees.
   */
  vnodeForHash(hash: bigint): VNodeId | undefined {
    if (this.#hi.length === 0) return undefined;
    return this.#lo[this.#successor(hash)] as VNodeId;
  }

  /**
   * Index (in position order) of the point that owns this hash, or -1 on an empty ring. Every
   * hash owned by the same point has the same replica set, so callers can cache per point until
   * the ring changes. O(1) expected.
   */
  pointForHash(hash: bigint): number {
    return this.#hi.length === 0 ? -1 : this.#successor(hash);
  }

  /** A copy of every point's position, ascending. O(P). */
  positions(): BigUint64Array {
    return this.#positions.slice();
  }

  /**
   * An independent ring with the same nodes (copied) and placement: the "before" of a topology
   * change, for `diffReplicaSets`. Cost: O(P log P), no hashing.
   */
  clone(): HashRing {
    const copy = new HashRing(this.virtualNodes);
    for (const { info, positions } of this.#members.values()) {
      copy.#members.set(info.id, { info: { ...info }, positions });
    }
    copy.#rebuild();
    return copy;
  }

  /** Index of the first point at or after `hash`, wrapping to 0. Requires P > 0. */
  #successor(hash: bigint): number {
    SCRATCH_64[0] = hash;
    const keyHi = SCRATCH_32[HI_WORD]!;
    const keyLo = SCRATCH_32[LO_WORD]!;
    const bucket = keyHi >>> this.#bucketShift;
    const his = this.#hi;
    const los = this.#lo;
    // Only this bucket's points can be the answer; if none is ≥ hash, the answer is the first
    // point of a later bucket, which is exactly #bucketStart[bucket + 1].
    let low = this.#bucketStart[bucket]!;
    let high = this.#bucketStart[bucket + 1]!;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const midHi = his[mid]!;
      if (midHi < keyHi || (midHi === keyHi && los[mid]! < keyLo)) low = mid + 1;
      else high = mid;
    }
    return low === his.length ? 0 : low;
  }

  #nextEpoch(): number {
    this.#epoch = (this.#epoch + 1) >>> 0;
    if (this.#epoch === 0) {
      // Wrapped after 2^32 walks: stale stamps could now equal the epoch.
      this.#seen.fill(0);
      this.#epoch = 1;
    }
    return this.#epoch;
  }

  #rebuild(): void {
    // Owner indexes follow id order, and each owner's points are laid out by point index, so the
    // raw index order is the (node id, point index) tie-break for points at equal positions.
    // Code-unit order, not localeCompare: placement must not depend on the locale.
    const members = [...this.#members.values()].sort((a, b) =>
      a.info.id < b.info.id ? -1 : a.info.id > b.info.id ? 1 : 0,
    );
    let total = 0;
    for (const member of members) total += member.positions.length;
    const rawPositions = new BigUint64Array(total);
    const rawOwners = new Int32Array(total);
    let next = 0;
    for (let owner = 0; owner < members.length; owner++) {
      const { positions } = members[owner]!;
      rawPositions.set(positions, next);
      rawOwners.fill(owner, next, next + positions.length);
      next += positions.length;
    }
    const order = Array.from({ length: total }, (_, i) => i);
    order.sort((a, b) => {
      const pa = rawPositions[a]!;
      const pb = rawPositions[b]!;
      return pa < pb ? -1 : pa > pb ? 1 : a - b;
    });

    const positions = new BigUint64Array(total);
    const his = new Uint32Array(total);
    const los = new Uint32Array(total);
    const owners = new Int32Array(total);
    for (let p = 0; p < total; p++) {
      const raw = order[p]!;
      const position = rawPositions[raw]!;
      positions[p] = position;
      his[p] = Number(position >> 32n);
      los[p] = Number(position & 0xffff_ffffn);
      owners[p] = rawOwners[raw]!;
    }

    const bucketBits = total <= 1 ? 1 : Math.min(BUCKET_BITS_MAX, Math.ceil(Math.log2(total)) + 1);
    const bucketShift = 32 - bucketBits;
    const bucketCount = 2 ** bucketBits;
    const bucketStart = new Uint32Array(bucketCount + 1);
    let point = 0;
    for (let bucket = 0; bucket <= bucketCount; bucket++) {
      while (point < total && his[point]! >>> bucketShift < bucket) point++;
      bucketStart[bucket] = point;
    }

    this.#owners = members.map((member) => member.info);
    this.#positions = positions;
    this.#hi = his;
    this.#lo = los;
    this.#owner = owners;
    this.#bucketStart = bucketStart;
    this.#bucketShift = bucketShift;
    this.#seen = new Uint32Array(members.length);
    this.#epoch = 0;
  }
}

/** Positions of a node's points, point i at index i: xxh64 of `${id}#${i}`. */
function computePositions(id: string, pointCount: number): BigUint64Array {
  // The text after the last '#' is the point index, so distinct (id, index) pairs never share a
  // label even when ids contain '#'.
  const positions = new BigUint64Array(pointCount);
  for (let i = 0; i < pointCount; i++) positions[i] = hashKey(`${id}#${i}`);
  return positions;
}
