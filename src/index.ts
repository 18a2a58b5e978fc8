/** shardcache's one public entry: named re-exports only. */

export type { ValueReply as CacheItem } from './cluster/dispatcher.js';
export {
  DistributedCache,
  type DistributedCacheConfig,
  type SetOptions,
} from './cluster/distributed-cache.js';
export {
  CacheError,
  ClosedError,
  type ErrorCode,
  InvalidArgumentError,
  InvalidKeyError,
  NodeUnavailableError,
  NotNumericError,
  OutOfMemoryError,
  ParseError,
  type ParseErrorKind,
  TimeoutError,
  TooLargeError,
} from './errors.js';
export type { CacheCommand, CacheResponse, ValueItem } from './protocol/commands.js';
export { ProtocolParser } from './protocol/parser.js';
export { DEFAULT_VIRTUAL_NODES, HashRing, type VNodeId } from './ring/hash-ring.js';
export {
  CacheNode,
  type CacheNodeOptions,
  DEFAULT_MAX_ITEM_BYTES,
  type StoreMode,
  type StoreResult,
} from './storage/cache-node.js';
export {
  type CacheEntry,
  type CacheStats,
  EVICTION_POLICIES,
  type EvictionPolicy,
  type NodeInfo,
} from './types.js';
