/**
 * Server processes for the load benchmark and the differential tests: stock memcached and the
 * shardcache CLI, each started on a free loopback port, waited for with a bound, and stopped by
 * its pid. A missing memcached is an error with the command that installs it.
 */

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer, connect as tcpConnect } from 'node:net';
import { builtFile } from '../fixtures/built-file.js';

export interface ServerProcess {
  readonly port: number;
  readonly pid: number;
  /** SIGTERM by pid, then SIGKILL if it has not exited within 5 s; resolves once it exited. */
  stop(): Promise<void>;
}

/** A port nobody listens on right now: bound to 0, read, released. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once `port` accepts a connection; rejects after `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const isOpen = await new Promise<boolean>((resolve) => {
      const socket = tcpConnect({ port, host: '127.0.0.1' });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (isOpen) return;
    if (Date.now() > deadline) throw new Error(`nothing accepts connections on port ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** memcached's version line; throws with the install command when it is missing. */
export function requireMemcached(): string {
  const probe = spawnSync('memcached', ['-V'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) {
    throw new Error(
      'stock memcached is required (Debian: apt-get install -y memcached; .ci/run does this)',
    );
  }
  return probe.stdout.trim();
}

/** Starts `memcached -l 127.0.0.1 -U 0 -t 2 <args>` on a free port; resolves once it accepts. */
export async function startMemcached(args: readonly string[] = []): Promise<ServerProcess> {
  requireMemcached();
  const port = await freePort();
  // As root, memcached insists on a user to run as.
  const user = process.getuid?.() === 0 ? ['-u', 'root'] : [];
  const child = spawn(
    'memcached',
    ['-p', String(port), '-l', '127.0.0.1', '-U', '0', '-t', '2', ...user, ...args],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return watch(child, port, async (stderr) => {
    try {
      await waitForPort(port);
    } catch (err) {
      throw new Error(`memcached did not start: ${stderr() || String(err)}`);
    }
  });
}

/** The built CLI: dist/src/server/cli.js, whether this module runs from dist/ or sources. */
const cliPath = (): string => builtFile('../../src/server/cli.js', import.meta.url);

/** Starts the shardcache CLI (`node dist/src/server/cli.js -p <free> <args>`); resolves once it listens. */
export async function startShardcacheCli(args: readonly string[] = []): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [cliPath(), '-p', String(port), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  return watch(child, port, async (stderr) => {
    const deadline = Date.now() + 30_000;
    while (!stdout.includes('listening on')) {
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`shardcache did not start: ${stderr() || stdout}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });
}

async function watch(
  child: ChildProcess,
  port: number,
  ready: (stderr: () => string) => Promise<void>,
): Promise<ServerProcess> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pid = child.pid;
  if (pid === undefined) throw new Error('the process did not start');
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    process.kill(pid, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), 5_000);
    });
    const didTimeOut = await Promise.race([exited.then(() => false), timedOut]);
    clearTimeout(timer);
    if (didTimeOut) {
      process.kill(pid, 'SIGKILL');
      await exited;
    }
  };
  try {
    await ready(() => stderr);
  } catch (err) {
    await stop();
    throw err;
  }
  return { port, pid, stop };
}
