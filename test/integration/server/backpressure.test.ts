/**
 * Back-pressure: a client that pipelines many large gets and does not read its replies makes the
 * server stop reading from it, with bounded buffers, while other clients are served as usual;
 * once it reads again, every reply arrives, complete and in order.
 */

import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CONNECTION_LIMITS } from '../../../src/server/connection.js';
import { bytes, connect, exchange, sleep, waitUntil } from '../../helpers/net.js';
import { type RunningServer, startShardcache } from '../../helpers/shardcache.js';

let shardcache: RunningServer;
const VALUE_BYTES = 100 * 1024;
const GETS = 1000;
const END_MARKER = '\r\nEND\r\n';

beforeAll(async () => {
  shardcache = await startShardcache();
  const value = 'b'.repeat(VALUE_BYTES);
  expect(
    (
      await exchange(shardcache.port, bytes(`set big 0 0 ${VALUE_BYTES}\r\n${value}\r\n`))
    ).toString(),
  ).toBe('STORED\r\n');
});

afterAll(async () => {
  await shardcache?.stop();
});

/** The buffers of the one connection that is not reading, if any. */
function stalled() {
  return shardcache.server.unsafeInternals().connections.find((c) => !c.isReading);
}

describe('back-pressure', () => {
  test('a client that does not read stalls only itself, with bounded buffers', async () => {
    const greedy: Socket = await connect(shardcache.port);
    try {
      greedy.pause(); // never read until told
      greedy.write('get big\r\n'.repeat(GETS));

      await waitUntil(
        () => stalled() !== undefined,
        'the server to stop reading the greedy client',
      );
      const reply = VALUE_BYTES + 'VALUE big 0 102400\r\n\r\nEND\r\n'.length;
      const bound = () => {
        const state = stalled();
        expect(state).toBeDefined();
        expect(state!.pendingCount).toBeLessThanOrEqual(CONNECTION_LIMITS.MAX_PENDING);
        // the socket holds at most the high-water mark plus the one reply that crossed it
        expect(state!.unsentBytes).toBeLessThanOrEqual(
          CONNECTION_LIMITS.WRITE_HIGH_WATER_BYTES + reply,
        );
        expect(state!.undecodedBytes).toBeLessThanOrEqual('get big\r\n'.length * GETS);
      };
      bound();

      // Meanwhile another client is served normally, many times over.
      for (let i = 0; i < 20; i++) {
        const other = await exchange(
          shardcache.port,
          bytes(`set other:${i} 0 0 2\r\nok\r\nget other:${i}\r\n`),
        );
        expect(other.toString()).toBe(`STORED\r\nVALUE other:${i} 0 2\r\nok\r\nEND\r\n`);
      }
      await sleep(50);
      bound(); // still stalled, still bounded

      // Reading again: every reply arrives, whole and in order.
      let received = 0;
      let tail = '';
      let ends = 0;
      const done = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${ends} replies arrived`)), 30_000);
        greedy.on('data', (chunk: Buffer) => {
          received += chunk.length;
          // count END lines without holding 100 MB: keep a short tail across chunks, one byte
          // shorter than the marker, so a marker already counted is never counted again
          const text = tail + chunk.toString('latin1');
          ends += text.split(END_MARKER).length - 1;
          tail = text.slice(-(END_MARKER.length - 1));
          if (ends === GETS) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      greedy.resume();
      await done;
      expect(received).toBe(GETS * reply);
      await waitUntil(
        () => shardcache.server.unsafeInternals().connections.every((c) => c.pendingCount === 0),
        'the greedy connection to drain',
      );
    } finally {
      greedy.destroy();
    }
  });

  test('a client that floods requests without reading is not read past the bounds', async () => {
    const flooder: Socket = await connect(shardcache.port);
    try {
      flooder.pause();
      // 20 MB of requests: far more than the server may buffer for one connection.
      const burst = Buffer.from('get big\r\n'.repeat(10_000));
      for (let i = 0; i < 200; i++) flooder.write(burst);
      await waitUntil(() => stalled() !== undefined, 'the server to stop reading the flooder');
      await sleep(100);
      const state = stalled()!;
      expect(state.pendingCount).toBeLessThanOrEqual(CONNECTION_LIMITS.MAX_PENDING);
      // What the server read and has not decoded is at most a few socket reads.
      expect(state.undecodedBytes).toBeLessThan(1024 * 1024);
      expect((await exchange(shardcache.port, bytes('version\r\n'))).toString()).toMatch(
        /^VERSION/,
      );
    } finally {
      flooder.destroy();
    }
    await waitUntil(() => shardcache.server.connectionCount === 0, 'the flooder to be dropped');
  });
});
