/**
 * Topology changes, one at a time: a node joining, leaving, dying and coming back. Each is a
 * migration from one ring (`read`: where the data is) to another (`write`: where it belongs):
 *
 *   1. writes go to the replicas of both rings, reads still by the read ring;
 *   2. for every hash range whose replica set changed (ring-diff), a node that holds it exports
 *      it and each new replica imports it with `add`, so a newer write that reached the new
 *      replica during the copy wins over the copied value;
 *   3. deletes made during the copy are replayed (an `add` of the old value could revive them);
 *   4. the read ring becomes the write ring, and nodes that left a range's set drop that range.
 *
 * Only ranges whose replica set changed move: about replicationFactor/N of the keys per node
 * added or removed. A crashed node is marked dead at once (reads fail over, writes skip it); its
 * ranges are then re-replicated from survivors, and the node is restarted empty and refilled by
 * the same migration before it serves reads again.
 */

import { NodeUnavailableError } from '../errors.js';
import type { HashRing } from '../ring/hash-ring.js';
import { diffReplicaSets } from '../ring/ring-diff.js';
import type { NodeLink } from './dispatcher.js';

export interface RebalancerHost {
  readonly replicationFactor: number;
  readonly ring: HashRing;
  link(id: string): NodeLink | undefined;
  /**
   * Gives a dead node a fresh, empty incarnation (its `node` is replaced): a new worker, or a
   * remote server once it answers again, which may take long. Rejects when the node is gone.
   */
  restart(link: NodeLink): Promise<void>;
  /** Deletes `key` from its current replicas (replay of a delete made during a copy). */
  deleteKey(key: string): Promise<unknown>;
}

export class Rebalancer {
  readonly #host: RebalancerHost;
  #read: HashRing;
  #write: HashRing;
  #isMigrating = false;
  /** During a copy: key → whether its last write was a delete. */
  #journal: Map<string, boolean> | undefined;
  #tail: Promise<void> = Promise.resolve();
  /** Dead nodes between their repair and their refill (waiting to be restarted). */
  readonly #revivals = new Set<Promise<void>>();
  /** Numbers the copy and drop phases (messages.ts PhaseHint). */
  #epoch = 0;
  /** Replica links per point of the read ring, built on first use, dropped on any change. */
  #readCache: (NodeLink[] | undefined)[] = [];
  #isClosed = false;

  constructor(host: RebalancerHost) {
    this.#host = host;
    this.#read = host.ring;
    this.#write = host.ring.clone();
  }

  /**
   * Replicas to read `hash` from, primary first (the request skips unreadable ones). Cached per
   * ring point: callers must not modify the array.
   */
  readReplicas(hash: bigint): readonly NodeLink[] {
    const point = this.#read.pointForHash(hash);
    if (point < 0) return [];
    let links = this.#readCache[point];
    if (links === undefined) {
      links = this.#links(this.#read.getNodesForHash(hash, this.#host.replicationFactor), false);
      this.#readCache[point] = links;
    }
    return links;
  }

  /** Replicas a write of `hash` must reach: those of both rings while a migration runs. */
  writeReplicas(hash: bigint): readonly NodeLink[] {
    // outside a migration both rings place alike, and dead nodes are off the ring's alive set
    if (!this.#isMigrating) return this.readReplicas(hash);
    const r = this.#host.replicationFactor;
    const links = this.#links(this.#read.getNodesForHash(hash, r), true);
    for (const link of this.#links(this.#write.getNodesForHash(hash, r), true)) {
      if (!links.includes(link)) links.push(link);
    }
    return links;
  }

  noteWrite(key: string): void {
    this.#journal?.set(key, false);
  }

  noteDelete(key: string): void {
    this.#journal?.set(key, true);
  }

  join(link: NodeLink): Promise<void> {
    return this.#enqueue(async () => {
      this.#write.addNode({ ...link.info });
      await this.#migrate(this.#read, this.#write);
      link.state = 'alive';
    });
  }

  leave(link: NodeLink): Promise<void> {
    return this.#enqueue(async () => {
      this.#write.removeNode(link.id);
      await this.#migrate(this.#read, this.#write);
      link.state = 'dead';
    });
  }

  /**
   * Marks `link` dead now; re-replicates its ranges, then restarts and refills it. The restart
   * runs outside the queue of topology changes: a remote server may take long to come back, and
   * other changes (removing that very node, adding its replacement) must not wait for it.
   */
  nodeDied(link: NodeLink): void {
    link.state = 'dead';
    this.#read.setAlive(link.id, false);
    this.#write.setAlive(link.id, false);
    this.#readCache = [];
    const isMember = (): boolean =>
      link.state === 'dead' && this.#write.node(link.id) !== undefined;
    const revival = this.#enqueue(async () => {
      if (!isMember()) return false;
      const before = this.#read.clone();
      before.setAlive(link.id, true);
      await this.#copy(before, this.#read);
      return true;
    })
      .then(async (isRepaired) => {
        if (!isRepaired || this.#isClosed) return;
        await this.#host.restart(link);
        await this.#enqueue(async () => {
          // removed meanwhile, or the fresh incarnation died already (its own revival runs)
          if (!isMember() || link.node.isDead) return;
          link.state = 'joining';
          this.#write.setAlive(link.id, true);
          await this.#migrate(this.#read, this.#write);
          link.state = 'alive';
        });
      })
      .catch(() => {});
    this.#revivals.add(revival);
    void revival.then(() => this.#revivals.delete(revival));
  }

  /** Resolves when no topology change, repair or restart is pending. */
  async idle(): Promise<void> {
    for (;;) {
      const tail = this.#tail;
      const revivals = [...this.#revivals];
      await tail;
      await Promise.all(revivals);
      if (tail === this.#tail && this.#revivals.size === 0) return;
    }
  }

  async close(): Promise<void> {
    this.#isClosed = true;
    await this.idle();
  }

  #enqueue<T>(task: () => Promise<T>): Promise<T | undefined> {
    const run = this.#tail.then(() => (this.#isClosed ? undefined : task()));
    // a failed change must not block the ones after it; its caller sees the error
    this.#tail = run.then(
      () => {},
      () => {},
    );
    return run;
  }

  #links(nodes: readonly { id: string }[], forWrite: boolean): NodeLink[] {
    const links: NodeLink[] = [];
    for (const node of nodes) {
      const link = this.#host.link(node.id);
      if (link && (forWrite ? link.isWritable : link.state !== 'dead')) links.push(link);
    }
    return links;
  }

  /** Moves data from `before`'s placement to `after`'s, then reads by `after`. */
  async #migrate(before: HashRing, after: HashRing): Promise<void> {
    this.#isMigrating = true;
    try {
      const changes = await this.#copy(before, after);
      this.#read = after.clone();
      this.#readCache = [];
      this.#isMigrating = false;
      // drop what left each range's set, now that reads no longer go there
      const epoch = ++this.#epoch;
      for (const change of changes) {
        for (const node of change.before) {
          if (change.after.some((n) => n.id === node.id)) continue;
          const link = this.#host.link(node.id);
          if (!link || link.state === 'dead') continue;
          await link
            .control({
              type: 'drop',
              fromExclusive: change.fromExclusive,
              toInclusive: change.toInclusive,
              epoch,
            })
            .catch(() => {});
        }
      }
    } finally {
      this.#isMigrating = false;
    }
  }

  /** Copies every range whose replica set grew; replays the deletes made meanwhile. */
  async #copy(before: HashRing, after: HashRing): Promise<ReturnType<typeof diffReplicaSets>> {
    const changes = diffReplicaSets(before, after, this.#host.replicationFactor);
    const epoch = ++this.#epoch;
    this.#journal = new Map();
    try {
      for (const change of changes) {
        const targets = this.#links(
          change.after.filter((n) => !change.before.some((b) => b.id === n.id)),
          true,
        );
        if (targets.length === 0) continue;
        const range = { fromExclusive: change.fromExclusive, toInclusive: change.toInclusive };
        const sources = this.#links(change.before, false).filter((l) => l.isReadable);
        for (const source of sources) {
          try {
            const reply = await source.control({ type: 'export', ...range, epoch });
            if (reply.type !== 'exported') continue;
            const batch = new Uint8Array(reply.batch);
            await Promise.all(
              targets.map((target) =>
                target.sendBatch(batch.slice().buffer).catch(() => undefined),
              ),
            );
            break;
          } catch (err) {
            // that source died mid-copy: try the next one
            if (!(err instanceof NodeUnavailableError)) throw err;
          }
        }
      }
      const journal = this.#journal;
      this.#journal = undefined;
      await Promise.all(
        [...journal]
          .filter(([, isDelete]) => isDelete)
          .map(([key]) => this.#host.deleteKey(key).catch(() => {})),
      );
    } finally {
      this.#journal = undefined;
    }
    return changes;
  }
}
