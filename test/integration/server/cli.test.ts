/**
 * The built CLI (`dist/src/server/cli.js`, what `npm start` and the `shardcache` bin run) as a
 * child process: where it listens, a memcached answer, SIGTERM, and its errors.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { bytes, exchange } from '../../helpers/net.js';

const CLI = fileURLToPath(new URL('../../../dist/src/server/cli.js', import.meta.url));

interface Run {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  readonly exited: Promise<number | null>;
}

function run(args: readonly string[]): Run {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const result: Run = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
  };
  child.stdout?.on('data', (chunk: Buffer) => {
    result.stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    result.stderr += chunk.toString();
  });
  return result;
}

/** The exit code, or a failure after `timeoutMs` (the child is killed then). */
async function exitCode(r: Run, timeoutMs = 15_000): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const code = await Promise.race([r.exited, timedOut]);
  clearTimeout(timer);
  if (code === 'timeout') {
    kill(r);
    throw new Error(`shardcache did not exit within ${timeoutMs} ms: ${r.stderr}`);
  }
  return code;
}

function kill(r: Run): void {
  const pid = r.child.pid;
  if (pid !== undefined && r.child.exitCode === null && r.child.signalCode === null) {
    process.kill(pid, 'SIGKILL');
  }
}

/** Waits for the "listening on host:port" line; bounded. */
async function listeningPort(r: Run, timeoutMs = 20_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = /listening on 127\.0\.0\.1:(\d+)/.exec(r.stdout);
    if (match) return Number(match[1]);
    if (r.child.exitCode !== null) throw new Error(`shardcache exited: ${r.stderr}`);
    if (Date.now() > deadline) throw new Error(`no listening line: ${r.stdout}${r.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('shardcache CLI', () => {
  test('prints where it listens, serves memcached, exits 0 on SIGTERM', async () => {
    const r = run(['-p', '0', '-t', '2', '-m', '16', '--policy', 'lfu']);
    try {
      const port = await listeningPort(r);
      expect(r.stdout).toMatch(/2 worker nodes × 8 MiB, replication 2, policy lfu/);
      const reply = await exchange(port, bytes('set k 0 0 2\r\nhi\r\nget k\r\nversion\r\n'));
      expect(reply.toString()).toBe('STORED\r\nVALUE k 0 2\r\nhi\r\nEND\r\nVERSION 0.1.0\r\n');
      process.kill(r.child.pid!, 'SIGTERM');
      expect(await exitCode(r)).toBe(0);
      expect(r.stderr).toBe('');
    } finally {
      kill(r);
    }
  });

  test('SIGINT stops it too', async () => {
    const r = run(['-p', '0', '-t', '1']);
    try {
      await listeningPort(r);
      expect(r.stdout).toMatch(/1 worker nodes × 64 MiB, replication 1/);
      process.kill(r.child.pid!, 'SIGINT');
      expect(await exitCode(r)).toBe(0);
    } finally {
      kill(r);
    }
  });

  test('--help and --version exit 0', async () => {
    const help = run(['--help']);
    expect(await exitCode(help)).toBe(0);
    expect(help.stdout).toMatch(/-m, --memory-limit <MiB>/);
    expect(help.stdout).toMatch(/split evenly across the worker nodes/);
    const version = run(['-V']);
    expect(await exitCode(version)).toBe(0);
    expect(version.stdout).toBe('shardcache 0.1.0\n');
  });

  test.each([
    [['--bogus'], /^shardcache: unknown option --bogus \(see --help\)\n$/],
    [['-p', 'http'], /^shardcache: -p needs an integer from 0 to 65535, not 'http'/],
    [['-I', '2g'], /^shardcache: -I needs a size from 1k to 1024m/],
    [
      ['-t', '2', '--replication', '3'],
      /^shardcache: --replication 3 needs at least as many nodes/,
    ],
    [['--policy', 'random'], /^shardcache: --policy must be one of lru, lfu, fifo, ttl/],
    [['-c'], /^shardcache: option -c needs a value/],
  ])('bad flags %j exit 2 with one line on stderr', async (args, message) => {
    const r = run(args);
    expect(await exitCode(r)).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  test('a port in use exits 1 with a clear message', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const address = blocker.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const r = run(['-p', String(port), '-t', '1']);
    try {
      expect(await exitCode(r)).toBe(1);
      expect(r.stderr).toBe(
        `shardcache: cannot listen on 127.0.0.1:${port}: address already in use\n`,
      );
    } finally {
      kill(r);
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});
