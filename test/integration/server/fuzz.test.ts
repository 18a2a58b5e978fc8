/**
 * Fuzz: random and mutated byte streams, cut into random chunks, into a live server over several
 * connections at once. The server must answer each with well-formed memcached replies and then
 * close (bounded), keep serving a connection opened before the fuzz, and keep the data stored
 * before it. fast-check prints the seed and path of any failure for replay.
 */

import type { Socket } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REPLY } from '../../../src/protocol/replies.js';
import { bytes, connect, exchange, parseReplies, sleep, waitUntil } from '../../helpers/net.js';
import { type RunningServer, startShardcache } from '../../helpers/shardcache.js';

let shardcache: RunningServer;
let bystander: Socket;

const SENTINELS = Array.from({ length: 20 }, (_, i) => [`sentinel:${i}`, `value-${i}`] as const);

beforeAll(async () => {
  // A small item limit so streams reach the too-large path too.
  shardcache = await startShardcache({ maxItemBytes: 4096 }, { itemMaxBytes: 4096 });
  const setup = SENTINELS.map(([k, v]) => `set ${k} 7 0 ${v.length}\r\n${v}\r\n`).join('');
  const reply = await exchange(shardcache.port, bytes(setup));
  expect(reply.toString()).toBe('STORED\r\n'.repeat(SENTINELS.length));
  bystander = await connect(shardcache.port);
});

afterAll(async () => {
  bystander?.destroy();
  await shardcache?.stop();
});

/** Sends `request` on the long-lived connection and reads until `terminator` ends the reply. */
function ask(socket: Socket, request: string, terminator: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => {
      socket.off('data', onData);
      reject(new Error(`no reply to ${JSON.stringify(request)}`));
    }, 10_000);
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('latin1');
      if (text.endsWith(terminator)) {
        clearTimeout(timer);
        socket.off('data', onData);
        resolve(text);
      }
    };
    socket.on('data', onData);
    socket.write(request);
  });
}

const ERROR_LINES = new Set<string>(Object.values(REPLY));
const STATUS_LINE =
  /^(STORED|NOT_STORED|EXISTS|NOT_FOUND|DELETED|TOUCHED|OK|RESET|END|\d+|VERSION \S+|STAT \S+ \S.*)$/;

/** Every reply is a status line, a known error line, or a VALUE with its whole data block. */
function expectWellFormed(stream: Buffer): void {
  for (const { line, data } of parseReplies(stream)) {
    if (data !== undefined) continue;
    const isKnown = STATUS_LINE.test(line) || ERROR_LINES.has(line);
    expect(isKnown, `unexpected reply line ${JSON.stringify(line)}`).toBe(true);
  }
}

// ---- generators ---------------------------------------------------------------------------

const key = fc.constantFrom('f:a', 'f:b', 'f:c', 'f:d', 'f:\xc3\xa9');
const num = fc.oneof(
  fc.constantFrom('0', '1', '-1', '4294967295', '18446744073709551615', 'x', ''),
  fc.nat(100_000).map(String),
);
const data = fc.string({ maxLength: 40 }).map((s) => s.replace(/[^\x20-\x7e]/g, '.'));

const command: fc.Arbitrary<string> = fc.oneof(
  fc
    .tuple(fc.constantFrom('set', 'add', 'replace', 'append', 'prepend'), key, num, num, data)
    .map(([c, k, f, e, v]) => `${c} ${k} ${f} ${e} ${v.length}\r\n${v}\r\n`),
  fc.tuple(key, data, num).map(([k, v, cas]) => `cas ${k} 0 0 ${v.length} ${cas}\r\n${v}\r\n`),
  fc
    .tuple(fc.constantFrom('get', 'gets'), fc.array(key, { maxLength: 4 }))
    .map(([c, ks]) => `${c} ${ks.join(' ')}\r\n`),
  fc
    .tuple(fc.constantFrom('gat', 'gats'), num, fc.array(key, { maxLength: 3 }))
    .map(([c, e, ks]) => `${c} ${e} ${ks.join(' ')}\r\n`),
  fc
    .tuple(fc.constantFrom('incr', 'decr', 'touch'), key, num, fc.boolean())
    .map(([c, k, n, q]) => `${c} ${k} ${n}${q ? ' noreply' : ''}\r\n`),
  key.map((k) => `delete ${k}\r\n`),
  fc.constantFrom('version\r\n', 'verbosity 1\r\n', 'stats\r\n', 'stats items\r\n', 'quit\r\n'),
  num.map((n) => `set big 0 0 ${Number(n) > 0 ? Number(n) + 4096 : 5000}\r\n`),
);

const mutation = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom('flip', 'insert', 'delete'),
  byte: fc.constantFrom(0x00, 0x0a, 0x0d, 0x20, 0x41, 0xff, 0x30),
});

/** A valid script with a few byte-level mutations. */
const mutated = fc
  .tuple(fc.array(command, { minLength: 1, maxLength: 25 }), fc.array(mutation, { maxLength: 6 }))
  .map(([commands, mutations]) => {
    const out = [...bytes(commands.join(''))];
    for (const m of mutations) {
      const at = m.at % (out.length + 1);
      if (m.kind === 'insert') out.splice(at, 0, m.byte);
      else if (at < out.length) {
        if (m.kind === 'delete') out.splice(at, 1);
        else out[at] = m.byte;
      }
    }
    return Uint8Array.from(out);
  });

const randomBytes = fc.uint8Array({ maxLength: 3000 });
const stream = fc.oneof(mutated, mutated, randomBytes);

/** A stream cut at random points. */
const chunked = fc.tuple(stream, fc.array(fc.nat(), { maxLength: 8 })).map(([input, cuts]) => {
  const points = [...new Set(cuts.map((c) => c % (input.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const point of [...points, input.length]) {
    chunks.push(input.subarray(from, point));
    from = point;
  }
  return chunks;
});

/** Sends the chunks one event-loop turn apart, ends, and collects until the server closes. */
async function sendChunks(chunks: readonly Uint8Array[]): Promise<Buffer> {
  const socket = await connect(shardcache.port);
  const received: Buffer[] = [];
  const closed = new Promise<Buffer>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('server did not close within 10 s'));
    }, 10_000);
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(received));
    });
  });
  for (const chunk of chunks) {
    if (socket.destroyed) break;
    if (chunk.length > 0) socket.write(chunk);
    await sleep(0);
  }
  if (!socket.destroyed) socket.end();
  return closed;
}

describe('fuzzing a live server', () => {
  test('random and mutated streams on 3 connections at once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(chunked, { minLength: 3, maxLength: 3 }), async (streams) => {
        const replies = await Promise.all(streams.map((chunks) => sendChunks(chunks)));
        for (const reply of replies) expectWellFormed(reply);
      }),
      { numRuns: 300, interruptAfterTimeLimit: 40_000 },
    );

    // A connection opened before the fuzz still works…
    expect(await ask(bystander, 'version\r\n', '\r\n')).toMatch(/^VERSION /);
    // …the fuzz left no connection behind…
    await waitUntil(() => shardcache.server.connectionCount === 1, 'fuzz connections to close');
    // …and the data stored before it is intact.
    const keys = SENTINELS.map(([k]) => k).join(' ');
    const got = parseReplies(bytes(await ask(bystander, `get ${keys}\r\n`, 'END\r\n')));
    expect(got.map((r) => [r.line, r.data?.toString()])).toEqual([
      ...SENTINELS.map(([k, v]) => [`VALUE ${k} 7 ${v.length}`, v]),
      ['END', undefined],
    ]);
  });
});
