/**
 * Command-line flags of `shardcache`, with memcached's names where memcached has the flag
 * (`memcached -h`): parsing and checking only, no side effects, so every message is testable.
 */

import { availableParallelism } from 'node:os';
import { EVICTION_POLICIES, type EvictionPolicy } from '../types.js';

const MIB = 1024 * 1024;

/** The server's settings, every flag resolved to its value or default. */
export interface CliOptions {
  readonly port: number;
  readonly host: string;
  /** Total item memory (key + value bytes) across all nodes, in bytes. */
  readonly memoryBytes: number;
  /** Worker-thread nodes (0 in a pure router over --servers). */
  readonly nodeCount: number;
  /** Remote memcached-protocol nodes ('host:port'), from --servers. */
  readonly remoteServers: readonly string[];
  readonly itemMaxBytes: number;
  readonly maxConnections: number;
  readonly replicationFactor: number;
  readonly policy: EvictionPolicy;
}

/** What the command line asks for: run, or print help or version and exit 0. */
export type CliRequest =
  | { readonly kind: 'run'; readonly options: CliOptions }
  | { readonly kind: 'help' }
  | { readonly kind: 'version' };

/** A bad command line; `message` is one line fit for stderr. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const HELP = `Usage: shardcache [options]

A memcached-compatible cache server: memcached's text protocol on TCP, with the items spread
over worker-thread nodes (consistent hashing) and each key kept on --replication of them.

  -p, --port <num>            TCP port to listen on (default 11211; 0 picks a free port)
  -l, --listen <addr>         interface to listen on (default 127.0.0.1)
  -m, --memory-limit <MiB>    item memory in MiB for the whole server, as memcached's -m:
                              split evenly across the worker nodes; each key is stored
                              --replication times, so it holds about m / replication MiB of
                              distinct data (default 64)
  -t, --threads <num>         worker nodes, one thread each (default: available cores, or
                              0 with --servers)
      --servers <list>        remote memcached-protocol nodes, host:port,host:port,…: stock
                              memcached or other shardcache servers on the same ring (a
                              replicating router, like mcrouter); with -t, a mixed ring
  -I, --max-item-size <size>  largest value, bytes with an optional k or m suffix
                              (default 1m; from 1k to 1024m)
  -c, --conn-limit <num>      most simultaneous client connections (default 1024)
      --replication <num>     copies of each key on distinct nodes, at most the node count
                              (default 2, or 1 with a single node)
      --policy <name>         eviction policy of each node: lru, lfu, fifo or ttl (default lru)
  -h, --help                  print this help and exit
  -V, --version               print the version and exit

Memory counts key and value bytes, as memcached's -m counts items. UDP is not served.
SIGINT or SIGTERM stops accepting, finishes the requests in flight, stops the nodes and exits 0.
`;

interface FlagSpec {
  readonly name: keyof Raw;
  readonly short?: string;
  readonly long: string;
}

interface Raw {
  port?: string;
  listen?: string;
  memory?: string;
  threads?: string;
  itemSize?: string;
  connLimit?: string;
  replication?: string;
  policy?: string;
  servers?: string;
}

const FLAGS: readonly FlagSpec[] = [
  { name: 'port', short: 'p', long: 'port' },
  { name: 'listen', short: 'l', long: 'listen' },
  { name: 'memory', short: 'm', long: 'memory-limit' },
  { name: 'threads', short: 't', long: 'threads' },
  { name: 'itemSize', short: 'I', long: 'max-item-size' },
  { name: 'connLimit', short: 'c', long: 'conn-limit' },
  { name: 'replication', long: 'replication' },
  { name: 'policy', long: 'policy' },
  { name: 'servers', long: 'servers' },
];

/**
 * Parses `argv` (without node and the script). Accepts `-p 11211`, `-p11211`, `--port 11211` and
 * `--port=11211`; the last occurrence of a flag wins. Throws `UsageError` for an unknown flag, a
 * missing or bad value, or settings that cannot work together.
 */
export function parseArgs(argv: readonly string[], cores = availableParallelism()): CliRequest {
  const raw: Raw = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h' || arg === '--help') return { kind: 'help' };
    if (arg === '-V' || arg === '--version') return { kind: 'version' };
    let spec: FlagSpec | undefined;
    let value: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const long = arg.slice(2, eq < 0 ? undefined : eq);
      spec = FLAGS.find((f) => f.long === long);
      if (eq >= 0) value = arg.slice(eq + 1);
    } else if (arg.startsWith('-') && arg.length >= 2) {
      spec = FLAGS.find((f) => f.short === arg[1]);
      if (arg.length > 2) value = arg.slice(2);
    }
    if (spec === undefined) throw new UsageError(`unknown option ${arg}`);
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new UsageError(`option ${arg} needs a value`);
    }
    raw[spec.name] = value;
  }
  return { kind: 'run', options: resolve(raw, cores) };
}

function resolve(raw: Raw, cores: number): CliOptions {
  const port = integer(raw.port ?? '11211', '-p', 0, 65535);
  const host = raw.listen ?? '127.0.0.1';
  if (host.length === 0) throw new UsageError('-l needs an address');
  const memoryMib = integer(raw.memory ?? '64', '-m', 1, 1024 * 1024);
  const remoteServers = raw.servers === undefined ? [] : endpoints(raw.servers);
  const defaultThreads = remoteServers.length > 0 ? 0 : Math.max(1, cores);
  const nodeCount = integer(
    raw.threads ?? String(defaultThreads),
    '-t',
    remoteServers.length > 0 ? 0 : 1,
    256,
  );
  const totalNodes = nodeCount + remoteServers.length;
  const itemMaxBytes = size(raw.itemSize ?? '1m', '-I');
  const maxConnections = integer(raw.connLimit ?? '1024', '-c', 1, 1_000_000);
  // At most one copy per node: --replication 3 with -t 2 could never be honoured.
  const replicationFactor = integer(
    raw.replication ?? String(Math.min(2, totalNodes)),
    '--replication',
    1,
    256,
  );
  if (replicationFactor > totalNodes) {
    throw new UsageError(
      `--replication ${replicationFactor} needs at least as many nodes (${totalNodes})`,
    );
  }
  const policy = raw.policy ?? 'lru';
  if (!(EVICTION_POLICIES as readonly string[]).includes(policy)) {
    throw new UsageError(`--policy must be one of ${EVICTION_POLICIES.join(', ')}, not ${policy}`);
  }
  const memoryBytes = memoryMib * MIB;
  if (nodeCount > 0 && Math.floor(memoryBytes / nodeCount) < 1024) {
    throw new UsageError(`-m ${memoryMib} is too little for ${nodeCount} nodes`);
  }
  return {
    port,
    host,
    memoryBytes,
    nodeCount,
    remoteServers,
    itemMaxBytes,
    maxConnections,
    replicationFactor,
    policy: policy as EvictionPolicy,
  };
}

/** `--servers`: comma-separated host:port pairs, each port 1–65535, no duplicates. */
function endpoints(text: string): string[] {
  const list = text.split(',').map((part) => part.trim());
  for (const endpoint of list) {
    const match = /^(\[[^\]]+\]|[^:\s]+):(\d+)$/.exec(endpoint);
    const port = match ? Number(match[2]) : Number.NaN;
    if (!match || !(port >= 1 && port <= 65535)) {
      throw new UsageError(`--servers needs host:port entries, not '${endpoint}'`);
    }
  }
  if (new Set(list).size !== list.length) throw new UsageError('--servers lists a server twice');
  return list;
}

function integer(text: string, flag: string, min: number, max: number): number {
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`${flag} needs an integer from ${min} to ${max}, not '${text}'`);
  }
  return value;
}

/** `-I`: bytes, or with a k/m suffix (KiB/MiB), as memcached reads it; 1k to 1024m. */
function size(text: string, flag: string): number {
  const match = /^(\d+)([kKmM]?)$/.exec(text);
  const unit = match?.[2]?.toLowerCase();
  const value = match ? Number(match[1]) * (unit === 'k' ? 1024 : unit === 'm' ? MIB : 1) : NaN;
  if (!Number.isSafeInteger(value) || value < 1024 || value > 1024 * MIB) {
    throw new UsageError(
      `${flag} needs a size from 1k to 1024m (bytes, or k/m suffix), not '${text}'`,
    );
  }
  return value;
}
