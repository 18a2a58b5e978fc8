import { describe, expect, test } from 'vitest';
import { parseArgs, UsageError } from '../../../src/server/cli-args.js';

const MIB = 1024 * 1024;

function options(argv: string[], cores = 4) {
  const request = parseArgs(argv, cores);
  if (request.kind !== 'run') throw new Error(`expected run, got ${request.kind}`);
  return request.options;
}

describe('parseArgs', () => {
  test('defaults: memcached’s, nodes from the cores, replication 2', () => {
    expect(options([])).toEqual({
      port: 11211,
      host: '127.0.0.1',
      memoryBytes: 64 * MIB,
      nodeCount: 4,
      remoteServers: [],
      itemMaxBytes: MIB,
      maxConnections: 1024,
      replicationFactor: 2,
      policy: 'lru',
    });
    expect(options([], 1).replicationFactor).toBe(1);
  });

  test('short, attached, long and long= forms; the last occurrence wins', () => {
    const o = options([
      '-p',
      '1',
      '-p2',
      '--listen',
      '0.0.0.0',
      '--memory-limit=128',
      '-t',
      '3',
      '-I',
      '512k',
      '--conn-limit',
      '10',
      '--replication=3',
      '--policy',
      'ttl',
    ]);
    expect(o).toEqual({
      port: 2,
      host: '0.0.0.0',
      memoryBytes: 128 * MIB,
      nodeCount: 3,
      remoteServers: [],
      itemMaxBytes: 512 * 1024,
      maxConnections: 10,
      replicationFactor: 3,
      policy: 'ttl',
    });
  });

  test('--servers: a router over remote nodes (no workers unless -t), or a mixed ring', () => {
    const router = options(['--servers', '127.0.0.1:11311,[::1]:11312,cache-3:11313']);
    expect(router.remoteServers).toEqual(['127.0.0.1:11311', '[::1]:11312', 'cache-3:11313']);
    expect(router.nodeCount).toBe(0);
    expect(router.replicationFactor).toBe(2);
    const mixed = options(['--servers', 'a:1', '-t', '2', '--replication', '3']);
    expect([mixed.nodeCount, mixed.remoteServers.length, mixed.replicationFactor]).toEqual([
      2, 1, 3,
    ]);
  });

  test('-I takes bytes, k and m', () => {
    expect(options(['-I', '2048']).itemMaxBytes).toBe(2048);
    expect(options(['-I', '2M']).itemMaxBytes).toBe(2 * MIB);
    expect(options(['-I', '1024m']).itemMaxBytes).toBe(1024 * MIB);
  });

  test('help and version win over everything', () => {
    expect(parseArgs(['-p', 'x', '--help'])).toEqual({ kind: 'help' });
    expect(parseArgs(['-h'])).toEqual({ kind: 'help' });
    expect(parseArgs(['--version'])).toEqual({ kind: 'version' });
  });

  test.each([
    [['-x'], 'unknown option -x'],
    [['--port'], 'option --port needs a value'],
    [['-p', '65536'], "-p needs an integer from 0 to 65535, not '65536'"],
    [['-p', '-1'], "-p needs an integer from 0 to 65535, not '-1'"],
    [['-m', '0'], "-m needs an integer from 1 to 1048576, not '0'"],
    [['-t', '0'], "-t needs an integer from 1 to 256, not '0'"],
    [['-c', '1.5'], "-c needs an integer from 1 to 1000000, not '1.5'"],
    [['-I', '1000'], "-I needs a size from 1k to 1024m (bytes, or k/m suffix), not '1000'"],
    [['-I', '1g'], "-I needs a size from 1k to 1024m (bytes, or k/m suffix), not '1g'"],
    [['-t', '2', '--replication', '3'], '--replication 3 needs at least as many nodes (2)'],
    [
      ['--servers', 'a:1', '--replication', '2'],
      '--replication 2 needs at least as many nodes (1)',
    ],
    [['--servers', 'a:1,b'], "--servers needs host:port entries, not 'b'"],
    [['--servers', 'a:0'], "--servers needs host:port entries, not 'a:0'"],
    [['--servers', 'a:1,a:1'], '--servers lists a server twice'],
    [['--policy', 'mru'], '--policy must be one of lru, lfu, fifo, ttl, not mru'],
    [['-l', ''], '-l needs an address'],
  ])('%j is refused: %s', (argv, message) => {
    expect(() => parseArgs(argv, 4)).toThrow(new UsageError(message));
  });
});
