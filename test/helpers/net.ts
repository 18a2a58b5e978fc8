/**
 * Raw-socket helpers for the server tests: free ports, one-shot byte exchanges, a bounded wait
 * for a condition, and a reader of memcached reply streams.
 */

import { type Socket, connect as tcpConnect } from 'node:net';

export { freePort, waitForPort } from '../../bench/load/processes.js';

/** Connects, or rejects after `timeoutMs`. */
export function connect(port: number, timeoutMs = 5_000, host = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ port, host });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connect to ${host}:${port} timed out`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.setNoDelay(true);
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` until true; throws after `timeoutMs` so a test can never hang on it. */
export async function waitUntil(
  condition: () => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

export type SendMode = 'whole' | 'byte-by-byte';

/**
 * Sends `request` on a fresh connection, shuts down the sending side and collects every byte the
 * server writes until it closes. memcached and shardcache both answer all they have read, then
 * close on end of input. `byte-by-byte` writes one byte per event-loop turn. Rejects after
 * `timeoutMs`.
 */
export async function exchange(
  port: number,
  request: Uint8Array,
  mode: SendMode = 'whole',
  timeoutMs = 20_000,
): Promise<Buffer> {
  const socket = await connect(port);
  const chunks: Buffer[] = [];
  const closed = new Promise<Buffer>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close from port ${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // A reset after the replies (the server closed with our bytes unread) still ends the exchange.
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
  });
  try {
    if (mode === 'whole') {
      socket.end(request);
    } else {
      for (let i = 0; i < request.length && !socket.destroyed; i++) {
        socket.write(request.subarray(i, i + 1));
        await new Promise((resolve) => setImmediate(resolve));
      }
      socket.end();
    }
  } catch {
    // The server may hang up mid-request (a line too long): what it sent is the answer.
  }
  return closed;
}

/** One reply of a memcached reply stream: a line, or a VALUE header with its data block. */
export interface ReplyItem {
  readonly line: string;
  readonly data?: Buffer;
}

/**
 * Splits a reply stream into lines, taking each `VALUE <key> <flags> <bytes> [<cas>]` line's data
 * block by its length, so binary values never confuse the framing. A trailing partial reply is
 * returned as a line starting with `<partial>`.
 */
export function parseReplies(stream: Buffer): ReplyItem[] {
  const items: ReplyItem[] = [];
  let pos = 0;
  while (pos < stream.length) {
    const eol = stream.indexOf('\r\n', pos, 'latin1');
    if (eol < 0) {
      items.push({ line: `<partial>${stream.subarray(pos).toString('latin1')}` });
      break;
    }
    const line = stream.subarray(pos, eol).toString('latin1');
    pos = eol + 2;
    const value = /^VALUE \S+ \d+ (\d+)(?: \d+)?$/.exec(line);
    if (value) {
      const length = Number(value[1]);
      if (pos + length + 2 > stream.length) {
        items.push({ line: `<partial>${line}` });
        break;
      }
      items.push({ line, data: stream.subarray(pos, pos + length) });
      pos += length + 2;
    } else {
      items.push({ line });
    }
  }
  return items;
}

/** Latin-1 text to bytes (one char per byte), so test scripts can hold any byte. */
export function bytes(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}
