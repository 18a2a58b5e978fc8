/** shardcache's one public entry: named re-exports only. */

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
export type {
  CacheCommand,
  CacheResponse,
  StoreMode,
  ValueItem,
} from './protocol/commands.js';
export {
  type CacheEntry,
  type CacheStats,
  EVICTION_POLICIES,
  type EvictionPolicy,
  type NodeInfo,
} from './types.js';
