/**
 * TKO failure detection: the pure counting rules, then RemoteNode applying them against a fake
 * server that stops answering, cuts connections or comes back as a different process.
 */

import { afterEach, describe, expect, test } from 'vitest';
import {
  BatchReader,
  BatchWriter,
  Op,
  Status,
  storeModeCode,
} from '../../../src/cluster/batch-format.js';
import { backoffDelayMs, FailureDetector } from '../../../src/cluster/failure-detector.js';
import { errorCodeAt } from '../../../src/cluster/node-service.js';
import { RemoteNode } from '../../../src/cluster/remote-node.js';
import { ClosedError, NodeUnavailableError } from '../../../src/errors.js';
import { freePort } from '../../helpers/net.js';
import { FakeServer } from '../../helpers/remote.js';

describe('FailureDetector', () => {
  test('trips after `threshold` consecutive failures, once', () => {
    const d = new FailureDetector(3);
    expect(d.recordFailure()).toBe(false);
    expect(d.recordFailure()).toBe(false);
    expect(d.consecutiveFailures).toBe(2);
    expect(d.recordFailure()).toBe(true);
    expect(d.isTripped).toBe(true);
    expect(d.recordFailure()).toBe(false);
  });

  test('an answer in between resets the run', () => {
    const d = new FailureDetector(3);
    d.recordFailure();
    d.recordFailure();
    d.recordSuccess();
    expect(d.consecutiveFailures).toBe(0);
    expect(d.recordFailure()).toBe(false);
    expect(d.recordFailure()).toBe(false);
    expect(d.isTripped).toBe(false);
  });

  test('a fatal failure (a write may be lost) trips at once', () => {
    const d = new FailureDetector(3);
    expect(d.recordFailure(true)).toBe(true);
    expect(d.isTripped).toBe(true);
  });

  test('rejects a threshold that is not a positive integer', () => {
    expect(() => new FailureDetector(0)).toThrow(RangeError);
    expect(() => new FailureDetector(1.5)).toThrow(RangeError);
  });

  test('backoff doubles from the minimum up to the cap', () => {
    expect([0, 1, 2, 3, 4, 5, 60].map((a) => backoffDelayMs(a, 50, 1000))).toEqual([
      50, 100, 200, 400, 800, 1000, 1000,
    ]);
  });
});

function getBatch(key: string): ArrayBuffer {
  const w = new BatchWriter();
  w.u32(1);
  w.u8(Op.GET);
  w.u8(key.length);
  w.bytes(Buffer.from(key));
  w.u32(0);
  return w.take();
}

function setBatch(key: string, value: string): ArrayBuffer {
  const w = new BatchWriter();
  w.u32(1);
  w.u8(Op.STORE);
  w.u8(key.length);
  w.bytes(Buffer.from(key));
  w.u32(0);
  w.u8(storeModeCode('set'));
  w.u32(0);
  w.f64(0);
  w.u64(0n);
  w.u32(value.length);
  w.bytes(Buffer.from(value));
  return w.take();
}

/** The single result of a one-op reply: a status name or an error code. */
function outcome(reply: ArrayBuffer): string {
  const r = new BatchReader(reply);
  r.u32();
  const status = r.u8();
  if (status === Status.ERROR) return errorCodeAt(r.u8());
  return Object.entries(Status).find(([, v]) => v === status)![0];
}

describe('RemoteNode failure detection (fake server)', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setUp(
    threshold = 3,
  ): Promise<{ server: FakeServer; node: RemoteNode; deaths: Error[] }> {
    const server = await FakeServer.start();
    cleanups.push(() => server.stop());
    const node = await RemoteNode.connect('fake', server.addr, {
      requestTimeoutMs: 100,
      connectTimeoutMs: 200,
      failureThreshold: threshold,
      poolSize: 1,
      statsIntervalMs: 0,
    });
    cleanups.push(() => node.close());
    const deaths: Error[] = [];
    node.onDeath = (err) => deaths.push(err);
    return { server, node, deaths };
  }

  test('reads that time out: dead after the third consecutive failure, not before', async () => {
    const { server, node, deaths } = await setUp();
    expect(outcome(await node.sendBatch(getBatch('k')))).toBe('MISS');
    server.mode = 'silent';
    expect(outcome(await node.sendBatch(getBatch('k')))).toBe('NODE_UNAVAILABLE');
    expect(outcome(await node.sendBatch(getBatch('k')))).toBe('NODE_UNAVAILABLE');
    expect(node.consecutiveFailures).toBe(2);
    expect(node.isDead).toBe(false);
    expect(deaths).toEqual([]);
    expect(outcome(await node.sendBatch(getBatch('k')))).toBe('NODE_UNAVAILABLE');
    expect(node.isDead).toBe(true);
    expect(deaths).toHaveLength(1);
    expect(deaths[0]).toBeInstanceOf(NodeUnavailableError);
    // a dead node refuses at once, and never calls onDeath again
    await expect(node.sendBatch(getBatch('k'))).rejects.toBeInstanceOf(NodeUnavailableError);
    expect(deaths).toHaveLength(1);
  });

  test('an answer between failures resets the count', async () => {
    const { server, node } = await setUp();
    server.mode = 'silent';
    await node.sendBatch(getBatch('k'));
    await node.sendBatch(getBatch('k'));
    server.mode = 'answer';
    expect(outcome(await node.sendBatch(getBatch('k')))).toBe('MISS');
    expect(node.consecutiveFailures).toBe(0);
    server.mode = 'silent';
    await node.sendBatch(getBatch('k'));
    await node.sendBatch(getBatch('k'));
    expect(node.isDead).toBe(false);
  });

  test('a write that may be lost kills the node at once', async () => {
    const { server, node, deaths } = await setUp();
    server.mode = 'silent';
    expect(outcome(await node.sendBatch(setBatch('k', 'v')))).toBe('NODE_UNAVAILABLE');
    expect(node.isDead).toBe(true);
    expect(deaths).toHaveLength(1);
  });

  test('an idle connection the server closes costs nothing', async () => {
    const { server, node } = await setUp();
    expect(outcome(await node.sendBatch(getBatch('k')))).toBe('MISS');
    server.dropConnections();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(outcome(await node.sendBatch(getBatch('k')))).toBe('MISS');
    expect(node.consecutiveFailures).toBe(0);
    expect(node.isDead).toBe(false);
  });

  test('a server that restarted (new pid) is dead before any read is served by it', async () => {
    const { server, node, deaths } = await setUp();
    expect(outcome(await node.sendBatch(getBatch('k')))).toBe('MISS');
    server.dropConnections();
    server.pid = 2000;
    await new Promise((resolve) => setTimeout(resolve, 20));
    // the MISS the restarted server would give must not count as an answer
    expect(outcome(await node.sendBatch(getBatch('k')))).toBe('NODE_UNAVAILABLE');
    expect(node.isDead).toBe(true);
    expect(deaths).toHaveLength(1);
  });

  test('terminate is a crash: onDeath once; close is graceful: no onDeath', async () => {
    const a = await setUp();
    await a.node.terminate();
    expect(a.deaths).toHaveLength(1);
    const b = await setUp();
    await b.node.close();
    expect(b.deaths).toHaveLength(0);
    await expect(b.node.sendBatch(getBatch('k'))).rejects.toBeInstanceOf(NodeUnavailableError);
  });

  test('connect: a clear NodeUnavailableError when nothing listens, within the timeout', async () => {
    const port = await freePort();
    await expect(RemoteNode.connect('gone', `127.0.0.1:${port}`)).rejects.toThrow(
      /remote node gone at 127\.0\.0\.1:\d+ is unreachable/,
    );
    const silent = await FakeServer.start();
    cleanups.push(() => silent.stop());
    silent.mode = 'silent';
    const started = Date.now();
    await expect(
      RemoteNode.connect('mute', silent.addr, { requestTimeoutMs: 150 }),
    ).rejects.toBeInstanceOf(NodeUnavailableError);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  test('revive waits for the server to answer, then flushes it; abort stops the wait', async () => {
    const port = await freePort();
    const aborted = new AbortController();
    const stopped = RemoteNode.revive(
      'r',
      `127.0.0.1:${port}`,
      { probeMaxDelayMs: 50 },
      aborted.signal,
    );
    setTimeout(() => aborted.abort(), 100);
    await expect(stopped).rejects.toBeInstanceOf(ClosedError);

    const server = await FakeServer.start();
    cleanups.push(() => server.stop());
    server.mode = 'silent';
    const reviving = RemoteNode.revive(
      'r',
      server.addr,
      { probeMinDelayMs: 10, probeMaxDelayMs: 50, requestTimeoutMs: 100, statsIntervalMs: 0 },
      new AbortController().signal,
    );
    setTimeout(() => {
      server.mode = 'answer';
    }, 300);
    const node = await reviving;
    cleanups.push(() => node.close());
    expect(node.isDead).toBe(false);
    expect(outcome(await node.sendBatch(getBatch('k')))).toBe('MISS');
  });
});
