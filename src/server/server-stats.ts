/**
 * The server's side of memcached's `stats`: per-command counters kept on the main thread, and the
 * `STAT` lines of `stats`, `stats settings`, `stats items` and `stats slabs`, under memcached's
 * names and in memcached 1.6's order (protocol.txt "General-purpose statistics").
 *
 * Request counters (`cmd_*`, `*_hits`, `*_misses`, `cas_badval`, `store_*`) are counted here from
 * each command and its outcome, exactly as memcached counts them, so they do not depend on how
 * many replicas served a request. Item counters (`curr_items`, `bytes`, `evictions`) come from
 * the cluster: they sum what every node holds, as summing `stats` over a memcached pool would, so
 * with replication R each item counts R times and `bytes` stays comparable to `limit_maxbytes`.
 */

import type { CacheCommand, CacheResponse } from '../protocol/commands.js';
import { REPLY } from '../protocol/replies.js';
import type { CacheStats } from '../types.js';

const SERVER_ERROR_PREFIX = 'SERVER_ERROR ';
/** The messages of the error responses `toReply` builds from `REPLY`'s lines. */
const TOO_LARGE_MESSAGE = REPLY.TOO_LARGE.slice(SERVER_ERROR_PREFIX.length);
const NO_MEMORY_MESSAGE = REPLY.OUT_OF_MEMORY.slice(SERVER_ERROR_PREFIX.length);

/**
 * Counters since start or the last `stats reset`. Plain numbers, not bigints: they are bumped on
 * every request, and 2^53 requests is beyond any process lifetime.
 */
export class ServerStats {
  cmdGet = 0;
  cmdSet = 0;
  cmdFlush = 0;
  cmdTouch = 0;
  getHits = 0;
  getMisses = 0;
  deleteHits = 0;
  deleteMisses = 0;
  incrHits = 0;
  incrMisses = 0;
  decrHits = 0;
  decrMisses = 0;
  casHits = 0;
  casMisses = 0;
  casBadval = 0;
  touchHits = 0;
  touchMisses = 0;
  storeTooLarge = 0;
  storeNoMemory = 0;
  /** Successful storage commands (memcached also counts an incr that outgrows its item). */
  totalItems = 0;
  bytesRead = 0;
  bytesWritten = 0;
  totalConnections = 0;
  rejectedConnections = 0;
  /** Cluster evictions at the last reset: `stats reset` cannot zero the nodes' own counters. */
  evictionsBase = 0;

  /**
   * Counts one executed command by its outcome, as memcached does: `get`/`gets` count per key in
   * `cmd_get`/`get_hits`/`get_misses`; `gat`/`gats` per key in `cmd_touch`/`touch_*`; every
   * storage command whose data block was read counts in `cmd_set`, and `cas` also in `cas_*`.
   * `response` is the reply the command earned even when `noreply` suppressed it.
   */
  countCommand(cmd: CacheCommand, response: CacheResponse): void {
    switch (cmd.type) {
      case 'get':
      case 'gets':
      case 'gat':
      case 'gats': {
        if (response.type !== 'values') return;
        const hits = response.items.length;
        const misses = cmd.keys.length - hits;
        if (cmd.type === 'get' || cmd.type === 'gets') {
          this.cmdGet += cmd.keys.length;
          this.getHits += hits;
          this.getMisses += misses;
        } else {
          this.cmdTouch += cmd.keys.length;
          this.touchHits += hits;
          this.touchMisses += misses;
        }
        return;
      }
      case 'set':
      case 'add':
      case 'replace':
      case 'append':
      case 'prepend':
      case 'cas':
        this.#countStore(cmd.type === 'cas', response);
        return;
      case 'delete':
        if (response.type === 'deleted') this.deleteHits++;
        else if (response.type === 'notFound') this.deleteMisses++;
        return;
      case 'incr':
      case 'decr': {
        // A non-numeric value is neither: memcached counts a hit only once the value parsed.
        const isHit = response.type === 'number';
        if (!isHit && response.type !== 'notFound') return;
        if (cmd.type === 'incr') isHit ? this.incrHits++ : this.incrMisses++;
        else isHit ? this.decrHits++ : this.decrMisses++;
        return;
      }
      case 'touch':
        this.cmdTouch++;
        if (response.type === 'touched') this.touchHits++;
        else if (response.type === 'notFound') this.touchMisses++;
        return;
      case 'flush_all':
        this.cmdFlush++;
        return;
      case 'stats':
      case 'version':
      case 'verbosity':
      case 'quit':
        return;
    }
  }

  /** Counts bad input the way memcached does: a bad data chunk still counts as a `cmd_set`. */
  countInvalid(message: string): void {
    if (message === REPLY.BAD_DATA_CHUNK) this.cmdSet++;
    else if (message === REPLY.TOO_LARGE) this.storeTooLarge++;
  }

  #countStore(isCas: boolean, response: CacheResponse): void {
    if (response.type === 'error') {
      // memcached refuses these before it reads the data block: no cmd_set.
      if (response.message === TOO_LARGE_MESSAGE) this.storeTooLarge++;
      else if (response.message === NO_MEMORY_MESSAGE) this.storeNoMemory++;
      return;
    }
    this.cmdSet++;
    if (response.type === 'stored') this.totalItems++;
    if (!isCas) return;
    if (response.type === 'stored') this.casHits++;
    else if (response.type === 'exists') this.casBadval++;
    else if (response.type === 'notFound') this.casMisses++;
  }

  /** `stats reset`: zeroes the request counters; current items and connections stay. */
  reset(cluster: CacheStats): void {
    const fresh = new ServerStats();
    Object.assign(this, fresh);
    this.evictionsBase = cluster.evictions;
  }
}

/** What `stats` reports about the process and its configuration. */
export interface StatsContext {
  readonly stats: ServerStats;
  readonly cluster: CacheStats;
  readonly startedAtMs: number;
  readonly version: string;
  readonly currConnections: number;
  readonly maxConnections: number;
  /** Worker nodes (memcached's `threads`). */
  readonly nodeCount: number;
  /** Key + value bytes per node. */
  readonly nodeMaxBytes: number;
  readonly itemMaxBytes: number;
  readonly port: number;
  readonly host: string;
  readonly verbosity: number;
  readonly replicationFactor: number;
  readonly evictionPolicy: string;
}

type StatLine = readonly [string, string];

/** `stats` with no group: memcached's general-purpose statistics that shardcache can keep exactly. */
export function generalStats(c: StatsContext): StatLine[] {
  const s = c.stats;
  const nowMs = Date.now();
  const usage = process.resourceUsage();
  return [
    ['pid', String(process.pid)],
    ['uptime', String(Math.floor((nowMs - c.startedAtMs) / 1000))],
    ['time', String(Math.floor(nowMs / 1000))],
    ['version', c.version],
    ['pointer_size', String(process.arch.includes('64') ? 64 : 32)],
    ['rusage_user', seconds(usage.userCPUTime)],
    ['rusage_system', seconds(usage.systemCPUTime)],
    ['max_connections', String(c.maxConnections)],
    ['curr_connections', String(c.currConnections)],
    ['total_connections', String(s.totalConnections)],
    ['rejected_connections', String(s.rejectedConnections)],
    ['cmd_get', String(s.cmdGet)],
    ['cmd_set', String(s.cmdSet)],
    ['cmd_flush', String(s.cmdFlush)],
    ['cmd_touch', String(s.cmdTouch)],
    ['get_hits', String(s.getHits)],
    ['get_misses', String(s.getMisses)],
    ['delete_misses', String(s.deleteMisses)],
    ['delete_hits', String(s.deleteHits)],
    ['incr_misses', String(s.incrMisses)],
    ['incr_hits', String(s.incrHits)],
    ['decr_misses', String(s.decrMisses)],
    ['decr_hits', String(s.decrHits)],
    ['cas_misses', String(s.casMisses)],
    ['cas_hits', String(s.casHits)],
    ['cas_badval', String(s.casBadval)],
    ['touch_hits', String(s.touchHits)],
    ['touch_misses', String(s.touchMisses)],
    ['store_too_large', String(s.storeTooLarge)],
    ['store_no_memory', String(s.storeNoMemory)],
    ['bytes_read', String(s.bytesRead)],
    ['bytes_written', String(s.bytesWritten)],
    ['limit_maxbytes', String(c.nodeMaxBytes * c.nodeCount)],
    ['threads', String(c.nodeCount)],
    ['bytes', String(c.cluster.bytesStored)],
    ['curr_items', String(c.cluster.entryCount)],
    ['total_items', String(s.totalItems)],
    ['evictions', String(Math.max(0, c.cluster.evictions - s.evictionsBase))],
  ];
}

/** `stats settings`: the settings memcached reports that mean something here, and ours. */
export function settingsStats(c: StatsContext): StatLine[] {
  return [
    ['maxbytes', String(c.nodeMaxBytes * c.nodeCount)],
    ['maxconns', String(c.maxConnections)],
    ['tcpport', String(c.port)],
    ['udpport', '0'],
    ['inter', c.host],
    ['verbosity', String(c.verbosity)],
    ['evictions', 'on'],
    ['num_threads', String(c.nodeCount)],
    ['cas_enabled', 'yes'],
    ['binding_protocol', 'ascii'],
    ['item_size_max', String(c.itemMaxBytes)],
    ['maxconns_fast', 'yes'],
    ['eviction_policy', c.evictionPolicy],
    ['replication_factor', String(c.replicationFactor)],
    ['node_maxbytes', String(c.nodeMaxBytes)],
  ];
}

/** `stats slabs`: shardcache has no slab classes to list, only memcached's two totals. */
export function slabsStats(c: StatsContext): StatLine[] {
  return [
    ['active_slabs', '0'],
    ['total_malloced', String(c.cluster.physicalBytes)],
  ];
}

/** memcached's `%ld.%06ld` rendering of a CPU time given in microseconds. */
function seconds(micros: number): string {
  const whole = Math.floor(micros / 1e6);
  return `${whole}.${String(micros - whole * 1e6).padStart(6, '0')}`;
}

/** The reply to `stats <group>`; unknown groups get `ERROR`, as in memcached. */
export function statsReply(group: string | undefined, c: StatsContext): CacheResponse {
  switch (group) {
    case undefined:
      return { type: 'stats', stats: generalStats(c) };
    case 'settings':
      return { type: 'stats', stats: settingsStats(c) };
    case 'items':
      return { type: 'stats', stats: [] };
    case 'slabs':
      return { type: 'stats', stats: slabsStats(c) };
    case 'reset':
      c.stats.reset(c.cluster);
      return { type: 'reset' };
    default:
      return { type: 'error', kind: 'ERROR', message: '' };
  }
}
