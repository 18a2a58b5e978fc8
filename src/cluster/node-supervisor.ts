/**
 * Starting, watching and restarting the nodes of a DistributedCache: worker threads, and remote
 * memcached-protocol servers (emptied when they join and when they come back, so that a node
 * never serves data the ring did not put there). Each node writes its counters into its own slot
 * of the cluster's shared counters; a node that dies has its counters retired and is handed to
 * the rebalancer, which repairs its ranges and then asks for a restart.
 */

import { ClosedError } from '../errors.js';
import type { CounterSlots } from '../stats/counter-slots.js';
import type { ResolvedConfig } from './config.js';
import type { NodeLink } from './dispatcher.js';
import type { ClusterNode } from './messages.js';
import { RemoteNode, type RemoteNodeOptions } from './remote-node.js';
import { WorkerNode } from './worker-node.js';

export interface SupervisorHost {
  readonly config: ResolvedConfig;
  readonly slots: CounterSlots;
  /** The current link of node `id`: a restart for a link that is no longer it is dropped. */
  link(id: string): NodeLink | undefined;
  /** A node died (after its pending operations failed and its counters were retired). */
  nodeDied(link: NodeLink): void;
}

export class NodeSupervisor {
  readonly #host: SupervisorHost;
  /** Aborted by close(): stops the wait for a remote node to come back. */
  readonly #closing = new AbortController();
  /** Per dead remote node waiting to come back: aborted when it is removed. */
  readonly #revivals = new Map<NodeLink, AbortController>();

  constructor(host: SupervisorHost) {
    this.#host = host;
  }

  get isClosed(): boolean {
    return this.#closing.signal.aborted;
  }

  /** A new node in counter slot `slot`: a worker thread for addr 'worker', else a remote one. */
  start(id: string, addr: string, slot: number): Promise<ClusterNode> {
    return addr === 'worker' ? this.#startWorker(id, slot) : this.#startRemote(id, addr, slot);
  }

  /** Reports the death of `link`'s current node to the host (once, and not after close). */
  watch(link: NodeLink): void {
    const node = link.node;
    node.onDeath = (err) => {
      if (link.node !== node || this.isClosed) return;
      link.failPending(err);
      this.#host.slots.retire(link.counterSlot);
      this.#host.nodeDied(link);
    };
  }

  /**
   * A fresh, empty node for one that died (the rebalancer refills it): a new worker thread, or
   * for a remote node, a new connection once its server answers again (waiting as long as it
   * takes, until the node is removed or the cache closed), with the server emptied.
   */
  async restart(link: NodeLink): Promise<void> {
    if (this.isClosed) throw new ClosedError();
    let node: ClusterNode;
    if (link.info.addr === 'worker') {
      node = await this.#startWorker(link.id, link.counterSlot);
    } else {
      const revival = new AbortController();
      this.#revivals.set(link, revival);
      try {
        node = await RemoteNode.revive(
          link.id,
          link.info.addr,
          this.#remoteOptions(link.counterSlot),
          AbortSignal.any([revival.signal, this.#closing.signal]),
        );
      } finally {
        this.#revivals.delete(link);
      }
    }
    if (this.isClosed || this.#host.link(link.id) !== link) {
      await node.close();
      throw new ClosedError(`node ${link.id} is gone`);
    }
    link.node = node;
    this.watch(link);
  }

  /** Stops waiting for `link`'s server to come back (the node is being removed). */
  abandon(link: NodeLink): void {
    this.#revivals.get(link)?.abort();
  }

  /** Stops every wait for a remote node; watched nodes' deaths are no longer reported. */
  close(): void {
    this.#closing.abort();
  }

  #startWorker(id: string, slot: number): Promise<WorkerNode> {
    const { config, slots } = this.#host;
    slots.clear(slot);
    return WorkerNode.start({
      nodeId: id,
      maxMemory: config.maxMemory,
      policy: config.evictionPolicy,
      maxItemBytes: config.maxItemBytes,
      defaultTtlMs: config.defaultTtlMs,
      counters: slots.buffer,
      counterSlot: slot,
      sweepIntervalMs: config.sweepIntervalMs,
    });
  }

  /**
   * Connects a remote node and empties its server: a node joins empty, as a worker does, since
   * anything it held before (an older copy, from an earlier membership) would not be replaced by
   * the `add`s that fill it and could be served stale.
   */
  async #startRemote(id: string, addr: string, slot: number): Promise<ClusterNode> {
    const node = await RemoteNode.connect(id, addr, this.#remoteOptions(slot));
    try {
      await node.control({ type: 'flush' });
    } catch (err) {
      await node.close();
      throw err;
    }
    return node;
  }

  #remoteOptions(slot: number): RemoteNodeOptions {
    const { config, slots } = this.#host;
    slots.clear(slot);
    return {
      ...config.remote,
      defaultTtlMs: config.defaultTtlMs,
      counters: { view: slots.view, slot },
    };
  }
}
