#!/usr/bin/env node
/**
 * `shardcache`: the memcached-compatible server (`npm start`). Flags as in `cli-args.ts`
 * (`--help`). Prints where it listens on stdout; a bad command line exits 2 and a failure to
 * start exits 1, each with one line on stderr. SIGINT/SIGTERM stop it gracefully, exit 0.
 */

import { DistributedCache } from '../cluster/distributed-cache.js';
import { VERSION } from '../cluster/execute.js';
import { type CliOptions, HELP, parseArgs, UsageError } from './cli-args.js';
import { CacheServer } from './server.js';

const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

function fail(message: string, code: number): never {
  process.stderr.write(`shardcache: ${message}\n`);
  process.exit(code);
}

function describeListenError(err: unknown, options: CliOptions): string {
  const where = `${options.host}:${options.port}`;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') return `cannot listen on ${where}: address already in use`;
  if (code === 'EACCES') return `cannot listen on ${where}: permission denied`;
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return `cannot listen on ${where}: no such local address`;
  }
  return `cannot listen on ${where}: ${err instanceof Error ? err.message : String(err)}`;
}

async function main(): Promise<void> {
  let options: CliOptions;
  try {
    const request = parseArgs(process.argv.slice(2));
    if (request.kind === 'help') {
      process.stdout.write(HELP);
      return;
    }
    if (request.kind === 'version') {
      process.stdout.write(`shardcache ${VERSION}\n`);
      return;
    }
    options = request.options;
  } catch (err) {
    if (err instanceof UsageError) fail(`${err.message} (see --help)`, EXIT_USAGE);
    throw err;
  }

  const nodeMaxBytes = Math.floor(options.memoryBytes / Math.max(1, options.nodeCount));
  const cache = new DistributedCache({
    replicationFactor: options.replicationFactor,
    maxMemory: nodeMaxBytes,
    evictionPolicy: options.policy,
    maxItemBytes: options.itemMaxBytes,
  });
  try {
    // worker nodes, then the remote ones (each named by its address)
    await Promise.all([
      ...Array.from({ length: options.nodeCount }, (_, i) => cache.addServer(`node-${i}`)),
      ...options.remoteServers.map((endpoint) => cache.addServer(endpoint, endpoint)),
    ]);
  } catch (err) {
    await cache.close().catch(() => {});
    fail(
      `cannot start the nodes: ${err instanceof Error ? err.message : String(err)}`,
      EXIT_FAILURE,
    );
  }
  const server = new CacheServer(cache, {
    maxConnections: options.maxConnections,
    itemMaxBytes: options.itemMaxBytes,
    ownsCache: true,
  });
  let address: { address: string; port: number };
  try {
    address = await server.listen(options.port, options.host);
  } catch (err) {
    await cache.close().catch(() => {});
    fail(describeListenError(err, options), EXIT_FAILURE);
  }

  let isStopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (isStopping) return;
    isStopping = true;
    process.stdout.write(`shardcache: ${signal}, stopping\n`);
    server.close().then(
      () => process.exit(0),
      (err: unknown) => fail(`error while stopping: ${String(err)}`, EXIT_FAILURE),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  const host = address.address.includes(':') ? `[${address.address}]` : address.address;
  const mib = (bytes: number): number => Number((bytes / (1024 * 1024)).toFixed(2));
  process.stdout.write(
    `shardcache ${VERSION} listening on ${host}:${address.port} ` +
      `(${options.nodeCount} worker nodes × ${mib(nodeMaxBytes)} MiB` +
      (options.remoteServers.length > 0 ? `, remote ${options.remoteServers.join(',')}` : '') +
      ', ' +
      `replication ${options.replicationFactor}, policy ${options.policy}, ` +
      `max item ${options.itemMaxBytes} bytes, max ${options.maxConnections} connections)\n`,
  );
}

main().catch((err: unknown) => {
  fail(err instanceof Error ? err.message : String(err), EXIT_FAILURE);
});
