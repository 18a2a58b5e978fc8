/**
 * The memcached text-protocol commands and replies as data: `CacheCommand` is what the decoder
 * produces and what `DistributedCache.execute` runs; `CacheResponse` is what execution produces
 * and the encoder writes. Both are discriminated unions on `type`.
 *
 * Keys are strings of at most 250 UTF-8 bytes without spaces or control characters. Expiry on the
 * wire is memcached's `exptime` in seconds (see `exptime.ts`); the embedded API uses `ttlMs`.
 */

/** Storage commands that carry a data block: `<cmd> <key> <flags> <exptime> <bytes> [noreply]`. */
export type StoreMode = 'set' | 'add' | 'replace' | 'append' | 'prepend';

export interface StoreCommand {
  readonly type: StoreMode;
  readonly key: string;
  readonly flags: number;
  readonly exptime: number;
  readonly value: Uint8Array;
  readonly noreply: boolean;
}

/** `cas <key> <flags> <exptime> <bytes> <cas unique> [noreply]` */
export interface CasCommand {
  readonly type: 'cas';
  readonly key: string;
  readonly flags: number;
  readonly exptime: number;
  readonly value: Uint8Array;
  readonly cas: bigint;
  readonly noreply: boolean;
}

/** `get|gets <key>*`: `gets` also returns each item's CAS unique. */
export interface GetCommand {
  readonly type: 'get' | 'gets';
  readonly keys: readonly string[];
}

/** `gat|gats <exptime> <key>*`: get and touch. */
export interface GatCommand {
  readonly type: 'gat' | 'gats';
  readonly exptime: number;
  readonly keys: readonly string[];
}

export interface DeleteCommand {
  readonly type: 'delete';
  readonly key: string;
  readonly noreply: boolean;
}

/** `incr|decr <key> <delta>`: delta is an unsigned 64-bit decimal. */
export interface ArithCommand {
  readonly type: 'incr' | 'decr';
  readonly key: string;
  readonly delta: bigint;
  readonly noreply: boolean;
}

export interface TouchCommand {
  readonly type: 'touch';
  readonly key: string;
  readonly exptime: number;
  readonly noreply: boolean;
}

/** `stats [group]`: group is e.g. 'settings', 'items', 'slabs', 'reset', or undefined. */
export interface StatsCommand {
  readonly type: 'stats';
  readonly group: string | undefined;
}

/** `flush_all [delay] [noreply]`: delay in seconds, 0 for now. */
export interface FlushAllCommand {
  readonly type: 'flush_all';
  readonly delaySec: number;
  readonly noreply: boolean;
}

export interface VersionCommand {
  readonly type: 'version';
}

export interface VerbosityCommand {
  readonly type: 'verbosity';
  readonly level: number;
  readonly noreply: boolean;
}

export interface QuitCommand {
  readonly type: 'quit';
}

/**
 * `lru_crawler <subcommand> [argument]`: `metadump all` lists every key with its metadata (how a
 * ring lists a node's keys to migrate them); the others are accepted for compatibility.
 */
export interface LruCrawlerCommand {
  readonly type: 'lru_crawler';
  readonly subcommand: string;
  readonly argument: string | undefined;
}

export type CacheCommand =
  | StoreCommand
  | CasCommand
  | GetCommand
  | GatCommand
  | DeleteCommand
  | ArithCommand
  | TouchCommand
  | StatsCommand
  | FlushAllCommand
  | VersionCommand
  | VerbosityCommand
  | QuitCommand
  | LruCrawlerCommand;

export type CommandType = CacheCommand['type'];

/** One item of a `get` family reply. */
export interface ValueItem {
  readonly key: string;
  readonly flags: number;
  readonly value: Uint8Array;
  /** Present for `gets`/`gats` replies. */
  readonly cas?: bigint;
}

/** memcached's three error reply families. */
export type ErrorKind = 'ERROR' | 'CLIENT_ERROR' | 'SERVER_ERROR';

export type CacheResponse =
  /** `VALUE …` lines then `END` (zero items is a miss). */
  | { readonly type: 'values'; readonly items: readonly ValueItem[] }
  | { readonly type: 'stored' }
  | { readonly type: 'notStored' }
  | { readonly type: 'exists' }
  | { readonly type: 'notFound' }
  | { readonly type: 'deleted' }
  | { readonly type: 'touched' }
  /** incr/decr result. */
  | { readonly type: 'number'; readonly value: bigint }
  | { readonly type: 'ok' }
  /** `stats reset` (memcached answers `RESET`, not `OK`). */
  | { readonly type: 'reset' }
  | { readonly type: 'version'; readonly version: string }
  /** `STAT <name> <value>` lines then `END`. */
  | { readonly type: 'stats'; readonly stats: readonly (readonly [string, string])[] }
  /** `ERROR`, or `CLIENT_ERROR <message>` / `SERVER_ERROR <message>`. */
  | { readonly type: 'error'; readonly kind: ErrorKind; readonly message: string }
  /**
   * `lru_crawler metadump` output: one `key=… exp=… la=… cas=… fetch=… cls=… size=…` line per
   * item (each ended by `\n`, as memcached does), then `END`.
   */
  | { readonly type: 'metadump'; readonly lines: readonly string[] }
  /** Nothing is written: `noreply` commands and `quit`. */
  | { readonly type: 'none' };

export type ResponseType = CacheResponse['type'];
