/**
 * A memcached text-protocol load generator, run in its own process (`fork`) so it never shares
 * an event loop with the server it measures. C connections each keep D requests in flight
 * (closed loop: every reply releases the next request), over a seeded Zipf trace of gets and
 * sets built before timing. Reports ops/s and latency percentiles (µs) over a fixed window
 * after a warm-up.
 *
 * As a child: receives `LoadOptions` by IPC, answers one `LoadResult`, exits. Bounded: it exits
 * with an error if the run overstays its deadline.
 */

import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { LatencyRecorder } from '../fixtures/latency.js';
import { buildWorkload, type Workload } from '../fixtures/zipf.js';
import type { LoadResult as ClosedLoopResult } from './closed-loop.js';

/** A measured window holds at least this many replies × connections, in all (see `runLoad`). */
const MIN_OPS_PER_CONNECTION = 4;
/** How far past its duration a window may stay open waiting for them. */
const MAX_EXTENSION_MS = 10_000;

export interface LoadOptions {
  readonly port: number;
  readonly host: string;
  readonly connections: number;
  /** Requests in flight per connection. */
  readonly depth: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly keyCount: number;
  readonly getRatio: number;
  readonly valueBytes: number;
  readonly zipfS: number;
  readonly seed: number;
  /** Store every key once (not timed) instead of running the trace. */
  readonly preload: boolean;
  /** Requests in the pre-built trace (default 2^20); connections wrap around it. */
  readonly traceOps?: number;
}

/** The closed loop's result, plus the error replies a TCP run can get. */
export interface LoadResult extends ClosedLoopResult {
  /** Replies that were errors (ERROR, CLIENT_ERROR, SERVER_ERROR): must be 0 for a valid run. */
  readonly errors: number;
}

const LF = 0x0a;
/** Ops in the pre-built trace by default; connections start at different offsets and wrap. */
const TRACE_OPS = 1 << 20;

interface Counters {
  isMeasuring: boolean;
  isRunning: boolean;
  ops: number;
  hits: number;
  misses: number;
  errors: number;
  readonly latency: LatencyRecorder;
}

/** One connection's closed loop: writes requests, parses replies, times each one. */
class LoadConnection {
  readonly #socket: Socket;
  readonly #trace: Workload;
  readonly #counters: Counters;
  readonly #sentAt: Float64Array;
  #sentHead = 0;
  #sentTail = 0;
  #inflight = 0;
  #op: number;
  readonly #traceOps: number;
  #carry: Buffer | undefined;
  /** Bytes of a value block (and its CRLF) still to skip. */
  #skip = 0;
  #isHit = false;
  readonly drained: Promise<void>;
  #onDrained: () => void = () => {};

  constructor(socket: Socket, trace: Workload, counters: Counters, depth: number, start: number) {
    this.#traceOps = trace.opKeys.length;
    this.#socket = socket;
    this.#trace = trace;
    this.#counters = counters;
    this.#sentAt = new Float64Array(depth);
    this.#op = start;
    this.drained = new Promise((resolve) => {
      this.#onDrained = resolve;
    });
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    this.#send(depth);
  }

  #send(count: number): void {
    if (count === 0) return;
    const t = this.#trace;
    const valueBytes = t.value.length;
    // Worst case per request: "set " + key + " 0 0 " + digits + CRLF + value + CRLF.
    const out = Buffer.allocUnsafe(count * (40 + valueBytes + 16));
    let at = 0;
    const now = performance.now();
    for (let i = 0; i < count; i++) {
      const op = this.#op;
      this.#op = op + 1 === this.#traceOps ? 0 : op + 1;
      const key = t.opKeys[op]!;
      const keyAt = t.keyOffsets[key]!;
      const keyEnd = keyAt + t.keyLengths[key]!;
      if (t.opIsGet[op] === 1) {
        at += out.write('get ', at, 'latin1');
        at += t.keyBytes.copy(out, at, keyAt, keyEnd);
        at += out.write('\r\n', at, 'latin1');
      } else {
        at += out.write('set ', at, 'latin1');
        at += t.keyBytes.copy(out, at, keyAt, keyEnd);
        at += out.write(` 0 0 ${valueBytes}\r\n`, at, 'latin1');
        at += t.value.copy(out, at);
        at += out.write('\r\n', at, 'latin1');
      }
      this.#sentAt[this.#sentTail] = now;
      this.#sentTail = (this.#sentTail + 1) % this.#sentAt.length;
    }
    this.#inflight += count;
    this.#socket.write(out.subarray(0, at));
  }

  #onData(chunk: Buffer): void {
    const buf = this.#carry === undefined ? chunk : Buffer.concat([this.#carry, chunk]);
    this.#carry = undefined;
    let pos = 0;
    let done = 0;
    while (pos < buf.length) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, buf.length - pos);
        pos += n;
        this.#skip -= n;
        continue;
      }
      const eol = buf.indexOf(LF, pos);
      if (eol < 0) {
        this.#carry = buf.subarray(pos);
        break;
      }
      const first = buf[pos];
      if (first === 0x56) {
        // VALUE <key> <flags> <bytes>: skip the block; the reply ends at END
        let spaceCount = 0;
        let q = pos;
        while (spaceCount < 3 && q < eol) if (buf[q++] === 0x20) spaceCount++;
        let length = 0;
        while (q < eol && buf[q]! >= 0x30 && buf[q]! <= 0x39)
          length = length * 10 + buf[q++]! - 0x30;
        this.#skip = length + 2;
        this.#isHit = true;
      } else {
        const isEnd = first === 0x45 && buf[pos + 1] === 0x4e; // END (vs ERROR)
        const isError = !isEnd && (first === 0x45 || first === 0x43 || buf[pos + 1] === 0x45);
        this.#complete(isEnd, isError);
        done++;
      }
      pos = eol + 1;
    }
    if (this.#counters.isRunning) this.#send(done);
    else if (this.#inflight === 0) this.#onDrained();
  }

  #complete(isGet: boolean, isError: boolean): void {
    const sentAt = this.#sentAt[this.#sentHead]!;
    this.#sentHead = (this.#sentHead + 1) % this.#sentAt.length;
    this.#inflight--;
    const c = this.#counters;
    if (!c.isMeasuring) return;
    c.ops++;
    if (isError) c.errors++;
    else if (isGet) {
      if (this.#isHit) c.hits++;
      else c.misses++;
    }
    this.#isHit = false;
    c.latency.recordMs(performance.now() - sentAt);
  }

  close(): void {
    this.#socket.destroy();
  }
}

function open(port: number, host: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host });
    socket.once('connect', () => {
      socket.setNoDelay(true);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Stores every key of the trace once, pipelined with noreply; resolves when all are applied. */
async function preload(o: LoadOptions, trace: Workload): Promise<void> {
  const socket = await open(o.port, o.host);
  const header = ` 0 0 ${trace.value.length} noreply\r\n`;
  const parts: Buffer[] = [];
  for (let key = 0; key < o.keyCount; key++) {
    const at = trace.keyOffsets[key]!;
    parts.push(Buffer.from('set '), trace.keyBytes.subarray(at, at + trace.keyLengths[key]!));
    parts.push(Buffer.from(header), trace.value, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('version\r\n'));
  // Replies come in request order: VERSION means every set before it was applied.
  await new Promise<void>((resolve, reject) => {
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (!text.includes('\n')) return;
      if (text.startsWith('VERSION')) resolve();
      else reject(new Error(`preload failed: ${text.slice(0, 200)}`));
    });
    socket.write(Buffer.concat(parts));
  });
  socket.destroy();
}

/** Runs the load (or the preload) against `o.host:o.port` in this process. */
export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const traceOps = o.traceOps ?? TRACE_OPS;
  const trace = buildWorkload({
    keyCount: o.keyCount,
    opCount: traceOps,
    zipfS: o.zipfS,
    getRatio: o.getRatio,
    valueBytes: o.valueBytes,
    seed: o.seed,
  });
  const latency = new LatencyRecorder();
  const empty = {
    opsPerSec: 0,
    ops: 0,
    p50Us: 0,
    p99Us: 0,
    p999Us: 0,
    hits: 0,
    misses: 0,
    errors: 0,
  };
  if (o.preload) {
    await preload(o, trace);
    return empty;
  }
  const counters: Counters = {
    isMeasuring: false,
    isRunning: true,
    ops: 0,
    hits: 0,
    misses: 0,
    errors: 0,
    latency,
  };
  const sockets = await Promise.all(
    Array.from({ length: o.connections }, () => open(o.port, o.host)),
  );
  const connections = sockets.map(
    (socket, i) =>
      new LoadConnection(
        socket,
        trace,
        counters,
        o.depth,
        Math.floor((i * traceOps) / o.connections),
      ),
  );
  await new Promise((resolve) => setTimeout(resolve, o.warmupMs));
  counters.isMeasuring = true;
  const startedAt = performance.now();
  await new Promise((resolve) => setTimeout(resolve, o.durationMs));
  // A stall longer than a short window must not leave it empty: it stays open (bounded) until it
  // holds a few replies per connection; the rate is over the window as it ran.
  const minOps = MIN_OPS_PER_CONNECTION * o.connections;
  while (counters.ops < minOps && performance.now() - startedAt < o.durationMs + MAX_EXTENSION_MS) {
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  counters.isMeasuring = false;
  const seconds = (performance.now() - startedAt) / 1000;
  counters.isRunning = false;
  // Let the requests in flight finish (bounded) so the server is idle for the next run.
  await Promise.race([
    Promise.all(connections.map((c) => c.drained)),
    new Promise((resolve) => setTimeout(resolve, 5_000)),
  ]);
  for (const c of connections) c.close();
  const result: LoadResult = {
    opsPerSec: Math.round(counters.ops / seconds),
    ops: counters.ops,
    ...latency.percentiles(),
    hits: counters.hits,
    misses: counters.misses,
    errors: counters.errors,
  };
  return result;
}

// As a forked child: one run per process, options in, result out.
if (process.argv[1] === fileURLToPath(import.meta.url) && process.send !== undefined) {
  process.once('message', (options: LoadOptions) => {
    const deadline = setTimeout(
      () => {
        process.stderr.write('load generator overstayed its deadline\n');
        process.exit(1);
      },
      options.warmupMs + options.durationMs + 120_000,
    );
    runLoad(options).then(
      (result) => {
        clearTimeout(deadline);
        process.send!(result, () => process.exit(0));
      },
      (err: unknown) => {
        process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
        process.exit(1);
      },
    );
  });
}
