/**
 * Stock memcached processes as remote ring nodes: started on a loopback port (a free one, or a
 * given one to restart a killed node in place), killed by pid (SIGKILL for failure drills), and
 * always stopped by the test that started them. Every wait is bounded.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { freePort, waitForPort } from './net.js';

export interface MemcachedNode {
  readonly port: number;
  readonly addr: string;
  /** The pid of the current process (changes on restart). */
  readonly pid: number;
  /** SIGKILL by pid; resolves once the process has exited. */
  kill(): Promise<void>;
  /** Starts memcached again on the same port (after `kill`). */
  restart(): Promise<void>;
  /** SIGTERM by pid (SIGKILL after 5 s); resolves once it has exited. Safe to call twice. */
  stop(): Promise<void>;
}

interface Running {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<void>;
}

async function launch(port: number, args: readonly string[]): Promise<Running> {
  // as root, memcached insists on a user to run as
  const user = process.getuid?.() === 0 ? ['-u', 'root'] : [];
  const child = spawn(
    'memcached',
    ['-p', String(port), '-l', '127.0.0.1', '-U', '0', '-t', '2', ...user, ...args],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pid = child.pid;
  if (pid === undefined) throw new Error('memcached did not start (is it installed?)');
  try {
    await waitForPort(port, 10_000);
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    throw new Error(`memcached did not start on ${port}: ${stderr || String(err)}`);
  }
  return { child, pid, exited };
}

async function signal(running: Running, sig: NodeJS.Signals): Promise<void> {
  const { child, pid, exited } = running;
  if (child.exitCode !== null || child.signalCode !== null) return;
  process.kill(pid, sig);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), 5_000);
  });
  const isLate = await Promise.race([exited.then(() => false), late]);
  clearTimeout(timer);
  if (isLate) {
    process.kill(pid, 'SIGKILL');
    await exited;
  }
}

/** Starts memcached (its defaults: 64 MB, 1 MB items) on a free loopback port. */
export async function startMemcachedNode(args: readonly string[] = []): Promise<MemcachedNode> {
  const port = await freePort();
  let running = await launch(port, args);
  return {
    port,
    addr: `127.0.0.1:${port}`,
    get pid() {
      return running.pid;
    },
    kill: () => signal(running, 'SIGKILL'),
    async restart() {
      await signal(running, 'SIGKILL');
      running = await launch(port, args);
    },
    stop: () => signal(running, 'SIGTERM'),
  };
}

/** Starts `count` memcached nodes; stops those already started if one fails. */
export async function startMemcachedNodes(count: number): Promise<MemcachedNode[]> {
  const nodes: MemcachedNode[] = [];
  try {
    for (let i = 0; i < count; i++) nodes.push(await startMemcachedNode());
  } catch (err) {
    await stopAll(nodes);
    throw err;
  }
  return nodes;
}

export async function stopAll(nodes: readonly MemcachedNode[]): Promise<void> {
  await Promise.all(nodes.map((n) => n.stop()));
}

/**
 * Sends `request` on a fresh connection and collects the reply until it ends with `END\r\n` (a
 * retrieval or stats reply) or `untilText`; rejects after `timeoutMs`.
 */
export function rawExchange(
  port: number,
  request: string,
  untilText = 'END\r\n',
  timeoutMs = 5_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ port, host: '127.0.0.1' });
    let reply = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new Error(`no complete reply from ${port} within ${timeoutMs} ms: ${reply.slice(-200)}`),
      );
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('latin1');
      if (reply.endsWith(untilText)) {
        clearTimeout(timer);
        socket.destroy();
        resolve(reply);
      }
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.write(request);
  });
}

/** How a fake server answers commands after the handshake. */
export type FakeMode = 'answer' | 'silent';

/**
 * A fake memcached-protocol server for failure drills: it answers the handshake (`version`,
 * `mn` with ERROR, `stats` with its pid) and, in 'answer' mode, `gets` with END and storage
 * commands with STORED; in 'silent' mode it reads and never answers. `dropConnections` cuts
 * every client off; `pid` can be changed to play a restarted server.
 */
export class FakeServer {
  readonly server: Server;
  mode: FakeMode = 'answer';
  pid = 1000;
  readonly #sockets = new Set<Socket>();

  private constructor(server: Server) {
    this.server = server;
    server.on('connection', (socket) => this.#serve(socket));
  }

  static async start(): Promise<FakeServer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new FakeServer(server);
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  get addr(): string {
    return `127.0.0.1:${this.port}`;
  }

  dropConnections(): void {
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
  }

  async stop(): Promise<void> {
    this.dropConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  #serve(socket: Socket): void {
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('error', () => {});
    let pending = '';
    let skip = 0;
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      for (;;) {
        if (skip > 0) {
          const n = Math.min(skip, pending.length);
          pending = pending.slice(n);
          skip -= n;
          if (skip > 0) return;
        }
        const eol = pending.indexOf('\r\n');
        if (eol < 0) return;
        const line = pending.slice(0, eol);
        pending = pending.slice(eol + 2);
        const [name, ...args] = line.split(' ');
        if (['set', 'add', 'replace', 'append', 'prepend', 'cas'].includes(name ?? '')) {
          skip = Number(args[3]) + 2;
        }
        const reply = this.#answer(name ?? '');
        if (reply !== undefined) socket.write(reply);
      }
    });
  }

  #answer(name: string): string | undefined {
    if (this.mode === 'silent') return undefined;
    switch (name) {
      case 'version':
        return 'VERSION fake\r\n';
      case 'stats':
        return `STAT pid ${this.pid}\r\nSTAT uptime 10\r\nSTAT time 1000\r\nEND\r\n`;
      case 'gets':
      case 'get':
        return 'END\r\n';
      case 'flush_all':
        return 'OK\r\n';
      case 'set':
      case 'add':
        return 'STORED\r\n';
      default:
        return 'ERROR\r\n';
    }
  }
}
