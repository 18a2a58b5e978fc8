/**
 * DistributedCache's configuration: what callers may set, the defaults, and the checks that turn
 * a bad value into an InvalidArgumentError before any thread starts.
 */

import { availableParallelism } from 'node:os';
import { InvalidArgumentError } from '../errors.js';
import { DEFAULT_MAX_ITEM_BYTES } from '../storage/store-options.js';
import type { EvictionPolicy } from '../types.js';
import { EVICTION_POLICIES } from '../types.js';
import type { RemoteNodeOptions } from './remote-node.js';

export interface DistributedCacheConfig {
  /** Worker nodes `create()` starts. Default: the machine's cores. */
  readonly servers?: number;
  /** Copies of each key. Default 2 (1 with a single server). */
  readonly replicationFactor?: number;
  /** Key + value bytes per node. Default 64 MiB. */
  readonly maxMemory?: number;
  readonly evictionPolicy?: EvictionPolicy;
  /** TTL for writes that give none. Default 0: no expiry. */
  readonly defaultTtlMs?: number;
  /** Ring points per node (× weight). Default 150. */
  readonly virtualNodes?: number;
  /** Largest value. Default 1 MiB. */
  readonly maxItemBytes?: number;
  /** How often each node sweeps expired items. Default 1000 ms. */
  readonly sweepIntervalMs?: number;
  /**
   * How long the calling thread keeps its event loop spinning after sending a batch, while
   * replies are due, instead of sleeping until they arrive (reply-poller.ts): less latency and
   * more throughput, for up to this much CPU per send. Default 1 ms; 0 never spins.
   */
  readonly spinWaitMs?: number;
  /** Timeouts, pool size and failure detection of remote ('host:port') nodes. */
  readonly remote?: RemoteConfig;
}

/** RemoteNodeOptions the cluster lets its user set (it supplies the TTL default and counters). */
export type RemoteConfig = Omit<RemoteNodeOptions, 'counters' | 'defaultTtlMs'>;

export interface SetOptions {
  readonly ttlMs?: number;
  readonly flags?: number;
}

/** The configuration with every default filled in. */
export interface ResolvedConfig {
  readonly replicationFactor: number;
  readonly maxMemory: number;
  readonly evictionPolicy: EvictionPolicy;
  readonly defaultTtlMs: number;
  readonly virtualNodes: number;
  readonly maxItemBytes: number;
  readonly sweepIntervalMs: number;
  readonly spinWaitMs: number;
  readonly remote: RemoteConfig;
}

export function resolveConfig(config: DistributedCacheConfig): ResolvedConfig {
  const servers = config.servers ?? availableParallelism();
  const resolved: ResolvedConfig = {
    replicationFactor: config.replicationFactor ?? Math.min(2, Math.max(1, servers)),
    maxMemory: config.maxMemory ?? 64 * 1024 * 1024,
    evictionPolicy: config.evictionPolicy ?? 'lru',
    defaultTtlMs: config.defaultTtlMs ?? 0,
    virtualNodes: config.virtualNodes ?? 150,
    maxItemBytes: config.maxItemBytes ?? DEFAULT_MAX_ITEM_BYTES,
    sweepIntervalMs: config.sweepIntervalMs ?? 1000,
    spinWaitMs: config.spinWaitMs ?? 1,
    remote: config.remote ?? {},
  };
  if (!Number.isInteger(resolved.replicationFactor) || resolved.replicationFactor < 1) {
    throw new InvalidArgumentError('replicationFactor must be a positive integer');
  }
  if (!Number.isSafeInteger(resolved.maxMemory) || resolved.maxMemory <= 0) {
    throw new InvalidArgumentError('maxMemory must be a positive integer');
  }
  if (!(EVICTION_POLICIES as readonly string[]).includes(resolved.evictionPolicy)) {
    throw new InvalidArgumentError(`evictionPolicy must be one of ${EVICTION_POLICIES.join(', ')}`);
  }
  if (!Number.isFinite(resolved.defaultTtlMs) || resolved.defaultTtlMs < 0) {
    throw new InvalidArgumentError('defaultTtlMs must be a non-negative number');
  }
  if (!Number.isSafeInteger(resolved.maxItemBytes) || resolved.maxItemBytes <= 0) {
    throw new InvalidArgumentError('maxItemBytes must be a positive integer');
  }
  if (!Number.isFinite(resolved.sweepIntervalMs) || resolved.sweepIntervalMs <= 0) {
    throw new InvalidArgumentError('sweepIntervalMs must be a positive number');
  }
  if (!Number.isFinite(resolved.spinWaitMs) || resolved.spinWaitMs < 0) {
    throw new InvalidArgumentError('spinWaitMs must be a non-negative number');
  }
  return resolved;
}
