/**
 * RemoteNode's translation of command batches to the memcached text protocol, checked against a
 * real memcached and, op for op, against the reply a worker's NodeService gives for the same
 * batch (CAS uniques differ between stores and are compared for presence only; TTLs in whole
 * seconds).
 */

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  BatchReader,
  BatchWriter,
  Op,
  Status,
  storeModeCode,
} from '../../../src/cluster/batch-format.js';
import { readNumber, readValue } from '../../../src/cluster/dispatcher.js';
import { partitionOf } from '../../../src/cluster/messages.js';
import { errorCodeAt, NodeService } from '../../../src/cluster/node-service.js';
import { RemoteNode } from '../../../src/cluster/remote-node.js';
import { hashKey } from '../../../src/ring/hasher.js';
import { newCountersBuffer, readCounters } from '../../../src/stats/counters.js';
import { CacheNode, type StoreMode } from '../../../src/storage/cache-node.js';
import { type MemcachedNode, rawExchange, startMemcachedNode } from '../../helpers/remote.js';

type TestOp =
  | { op: 'get' | 'delete'; key: string }
  | { op: 'gat' | 'touch'; key: string; ttlMs: number }
  | {
      op: 'store';
      mode: StoreMode;
      key: string;
      value: string;
      flags?: number;
      ttlMs?: number;
      cas?: bigint;
    }
  | { op: 'arith'; key: string; isIncrement: boolean; delta: bigint };

function buildBatch(ops: readonly TestOp[]): ArrayBuffer {
  const w = new BatchWriter();
  w.u32(ops.length);
  for (const o of ops) {
    const key = Buffer.from(o.key, 'utf8');
    const code = {
      get: Op.GET,
      gat: Op.GAT,
      store: Op.STORE,
      delete: Op.DELETE,
      arith: Op.ARITH,
      touch: Op.TOUCH,
    }[o.op];
    w.u8(code);
    w.u8(key.length);
    w.bytes(key);
    w.u32(partitionOf(hashKey(o.key)));
    if (o.op === 'gat' || o.op === 'touch') w.f64(o.ttlMs);
    if (o.op === 'store') {
      const value = Buffer.from(o.value, 'utf8');
      w.u8(storeModeCode(o.mode));
      w.u32(o.flags ?? 0);
      w.f64(o.ttlMs ?? 0);
      w.u64(o.cas ?? 0n);
      w.u32(value.length);
      w.bytes(value);
    }
    if (o.op === 'arith') {
      w.u8(o.isIncrement ? 1 : 0);
      w.u64(o.delta);
    }
  }
  return w.take();
}

/** A reply, comparable across stores: CAS reduced to "has one", TTL to whole seconds. */
function readReply(reply: ArrayBuffer): unknown[] {
  const r = new BatchReader(reply);
  const count = r.u32();
  const out: unknown[] = [];
  for (let i = 0; i < count; i++) {
    const status = r.u8();
    if (status === Status.VALUE) {
      const v = readValue(r);
      out.push({
        status: 'VALUE',
        flags: v.flags,
        hasCas: v.cas > 0n,
        value: Buffer.from(v.value).toString(),
      });
    } else if (status === Status.NUMBER) {
      const n = readNumber(r);
      out.push({
        status: 'NUMBER',
        value: n.value,
        flags: n.flags,
        ttlSec: Math.ceil(n.ttlMs / 1000),
      });
    } else if (status === Status.ERROR) {
      const code = errorCodeAt(r.u8());
      r.skip(r.u16());
      out.push({ status: 'ERROR', code });
    } else {
      out.push({ status: Object.entries(Status).find(([, v]) => v === status)?.[0] });
    }
  }
  return out;
}

let memcached: MemcachedNode;
let node: RemoteNode;
const counters = new BigUint64Array(newCountersBuffer());

beforeAll(async () => {
  memcached = await startMemcachedNode();
  node = await RemoteNode.connect('m', memcached.addr, {
    counters: { view: counters, slot: 3 },
    statsIntervalMs: 0,
  });
});

afterAll(async () => {
  await node?.close();
  await memcached?.stop();
});

function worker(): NodeService {
  return new NodeService(new CacheNode(16 * 1024 * 1024), newCountersBuffer(), 0);
}

async function both(service: NodeService, ops: readonly TestOp[]): Promise<[unknown[], unknown[]]> {
  const local = readReply(service.applyBatch(buildBatch(ops)));
  const remote = readReply(await node.sendBatch(buildBatch(ops)));
  return [remote, local];
}

describe('RemoteNode batch translation, differential against NodeService', () => {
  test('the server speaks the meta protocol (stock memcached 1.6)', () => {
    expect(node.hasMeta).toBe(true);
  });

  test('stores, reads, deletes, touches: same statuses and payloads', async () => {
    const service = worker();
    const ops: TestOp[] = [
      { op: 'get', key: 'd:a' },
      { op: 'store', mode: 'set', key: 'd:a', value: 'alpha', flags: 42 },
      { op: 'get', key: 'd:a' },
      { op: 'store', mode: 'add', key: 'd:a', value: 'other' },
      { op: 'store', mode: 'add', key: 'd:b', value: 'beta' },
      { op: 'store', mode: 'replace', key: 'd:missing', value: 'x' },
      { op: 'store', mode: 'replace', key: 'd:b', value: 'BETA', flags: 7 },
      { op: 'store', mode: 'append', key: 'd:b', value: '+' },
      { op: 'store', mode: 'prepend', key: 'd:b', value: '-' },
      { op: 'store', mode: 'append', key: 'd:missing', value: '+' },
      { op: 'get', key: 'd:b' },
      { op: 'store', mode: 'cas', key: 'd:b', value: 'cas', cas: 1n << 40n },
      { op: 'store', mode: 'cas', key: 'd:missing', value: 'cas', cas: 1n },
      { op: 'touch', key: 'd:a', ttlMs: 60_000 },
      { op: 'touch', key: 'd:missing', ttlMs: 60_000 },
      { op: 'gat', key: 'd:b', ttlMs: 60_000 },
      { op: 'gat', key: 'd:missing', ttlMs: 60_000 },
      { op: 'delete', key: 'd:a' },
      { op: 'delete', key: 'd:a' },
      { op: 'get', key: 'd:a' },
      { op: 'store', mode: 'set', key: 'd:日本', value: 'utf-8 key' },
      { op: 'get', key: 'd:日本' },
    ];
    const [remote, local] = await both(service, ops);
    expect(remote).toEqual(local);
    expect(remote[2]).toEqual({ status: 'VALUE', flags: 42, hasCas: true, value: 'alpha' });
    expect(remote[10]).toEqual({ status: 'VALUE', flags: 7, hasCas: true, value: '-BETA+' });
  });

  test('cas with the current unique stores; a stale unique is EXISTS', async () => {
    await node.sendBatch(buildBatch([{ op: 'store', mode: 'set', key: 'c:k', value: 'v1' }]));
    const r = new BatchReader(await node.sendBatch(buildBatch([{ op: 'get', key: 'c:k' }])));
    r.u32();
    r.u8();
    const { cas } = readValue(r);
    const reply = readReply(
      await node.sendBatch(
        buildBatch([
          { op: 'store', mode: 'cas', key: 'c:k', value: 'v2', cas },
          { op: 'store', mode: 'cas', key: 'c:k', value: 'v3', cas },
          { op: 'get', key: 'c:k' },
        ]),
      ),
    );
    expect(reply).toEqual([
      { status: 'STORED' },
      { status: 'EXISTS' },
      { status: 'VALUE', flags: 0, hasCas: true, value: 'v2' },
    ]);
  });

  test('incr/decr: the result with the flags and TTL left; errors as a worker gives them', async () => {
    const service = worker();
    const ops: TestOp[] = [
      { op: 'store', mode: 'set', key: 'n:a', value: '41', flags: 9, ttlMs: 100_000 },
      { op: 'arith', key: 'n:a', isIncrement: true, delta: 1n },
      { op: 'arith', key: 'n:a', isIncrement: false, delta: 100n },
      { op: 'store', mode: 'set', key: 'n:max', value: '18446744073709551615' },
      { op: 'arith', key: 'n:max', isIncrement: true, delta: 2n },
      { op: 'arith', key: 'n:missing', isIncrement: true, delta: 1n },
      { op: 'store', mode: 'set', key: 'n:text', value: 'abc' },
      { op: 'arith', key: 'n:text', isIncrement: true, delta: 1n },
      { op: 'get', key: 'n:text' },
    ];
    const [remote, local] = await both(service, ops);
    expect(remote).toEqual(local);
    expect(remote[1]).toEqual({ status: 'NUMBER', value: 42n, flags: 9, ttlSec: 100 });
    expect(remote[4]).toEqual({ status: 'NUMBER', value: 1n, flags: 0, ttlSec: 0 });
    expect(remote[7]).toEqual({ status: 'ERROR', code: 'NOT_NUMERIC' });
  });

  test('TTLs: rounded up to whole seconds, negative is expired, 0 is never', async () => {
    const service = worker();
    const ops: TestOp[] = [
      { op: 'store', mode: 'set', key: 't:gone', value: 'x', ttlMs: -1 },
      { op: 'get', key: 't:gone' },
      { op: 'store', mode: 'set', key: 't:short', value: '1', ttlMs: 1 },
      { op: 'arith', key: 't:short', isIncrement: true, delta: 1n },
      { op: 'store', mode: 'set', key: 't:forever', value: '1', ttlMs: 0 },
      { op: 'arith', key: 't:forever', isIncrement: true, delta: 1n },
      { op: 'store', mode: 'set', key: 't:long', value: '1', ttlMs: 40 * 24 * 3600 * 1000 },
      { op: 'arith', key: 't:long', isIncrement: true, delta: 1n },
      { op: 'touch', key: 't:forever', ttlMs: -1 },
      { op: 'get', key: 't:forever' },
    ];
    const [remote, local] = await both(service, ops);
    expect(remote[1]).toEqual({ status: 'MISS' });
    // 1 ms is sent as 1 s: it must not expire early, and is still there a moment later
    expect(remote[3]).toEqual({ status: 'NUMBER', value: 2n, flags: 0, ttlSec: 1 });
    expect(remote[5]).toEqual({ status: 'NUMBER', value: 2n, flags: 0, ttlSec: 0 });
    // beyond 30 days the wire carries an absolute time; the TTL left is still about 40 days
    const long = remote[7] as { ttlSec: number };
    expect(Math.abs(long.ttlSec - 40 * 24 * 3600)).toBeLessThanOrEqual(2);
    expect(remote[9]).toEqual({ status: 'MISS' });
    expect(remote.map((r) => (r as { status: string }).status)).toEqual(
      local.map((r) => (r as { status: string }).status),
    );
  });

  test('a value over the server item size is TOO_LARGE and the stream stays in step', async () => {
    const big = 'x'.repeat(2 * 1024 * 1024);
    const reply = readReply(
      await node.sendBatch(
        buildBatch([
          { op: 'store', mode: 'set', key: 'big', value: big },
          { op: 'store', mode: 'set', key: 'after', value: 'ok' },
          { op: 'get', key: 'after' },
        ]),
      ),
    );
    expect(reply).toEqual([
      { status: 'ERROR', code: 'TOO_LARGE' },
      { status: 'STORED' },
      { status: 'VALUE', flags: 0, hasCas: true, value: 'ok' },
    ]);
  });

  test('hits and misses are counted here and published into the node counter slot', async () => {
    const before = readCounters(counters, 3);
    await node.sendBatch(
      buildBatch([
        { op: 'store', mode: 'set', key: 's:k', value: 'v' },
        { op: 'get', key: 's:k' },
        { op: 'get', key: 's:k' },
        { op: 'get', key: 's:none' },
        { op: 'gat', key: 's:k', ttlMs: 0 },
      ]),
    );
    const after = readCounters(counters, 3);
    expect(after.hits - before.hits).toBe(3);
    expect(after.misses - before.misses).toBe(1);
  });
});

describe('RemoteNode control requests', () => {
  const everything = { fromExclusive: 0n, toInclusive: 0n };

  test('export a range: add ops with flags, TTL and value, only for keys in range', async () => {
    await node.control({ type: 'flush' });
    const keys = Array.from({ length: 300 }, (_, i) => `e:${i}`);
    await node.sendBatch(
      buildBatch(
        keys.map((key, i) => ({
          op: 'store',
          mode: 'set',
          key,
          value: `v${i}`,
          flags: i,
          ttlMs: i % 2 ? 50_000 : 0,
        })),
      ),
    );
    const range = { fromExclusive: 1n << 62n, toInclusive: 3n << 62n };
    const inRange = keys.filter(
      (k) => hashKey(k) > range.fromExclusive && hashKey(k) <= range.toInclusive,
    );
    const reply = await node.control({ type: 'export', ...range });
    if (reply.type !== 'exported') throw new Error(reply.type);
    expect(reply.count).toBe(inRange.length);
    // importing the export into a worker gives the same items
    const service = worker();
    service.applyBatch(reply.batch);
    const entries = service.control({ type: 'entries' });
    if (entries.type !== 'entries') throw new Error(entries.type);
    expect(new Map(entries.entries.map(([k, v]) => [k, Buffer.from(v).toString()]))).toEqual(
      new Map(inRange.map((k) => [k, `v${k.slice(2)}`])),
    );
    // flags and TTL travel with each op
    const r = new BatchReader(reply.batch);
    r.u32();
    for (let i = 0; i < reply.count; i++) {
      expect(r.u8()).toBe(Op.STORE);
      const key = Buffer.from(
        r.bytes.subarray(r.offset + 1, r.offset + 1 + r.bytes[r.offset]!),
      ).toString();
      r.skip(1 + key.length);
      expect(r.u32()).toBe(partitionOf(hashKey(key)));
      expect(r.u8()).toBe(storeModeCode('add'));
      const n = Number(key.slice(2));
      expect(r.u32()).toBe(n);
      const ttlMs = r.f64();
      if (n % 2) expect(ttlMs).toBeGreaterThan(45_000);
      else expect(ttlMs).toBe(0);
      r.skip(8);
      r.skip(r.u32());
    }
  });

  test('drop a range deletes only its keys; entries lists the rest', async () => {
    await node.control({ type: 'flush' });
    const keys = Array.from({ length: 200 }, (_, i) => `x:${i}`);
    await node.sendBatch(
      buildBatch(keys.map((key) => ({ op: 'store', mode: 'set', key, value: key }))),
    );
    const range = { fromExclusive: 3n << 62n, toInclusive: 1n << 62n }; // wraps past 0
    const inRange = (k: string): boolean =>
      hashKey(k) > range.fromExclusive || hashKey(k) <= range.toInclusive;
    const dropped = await node.control({ type: 'drop', ...range });
    expect(dropped).toEqual({ type: 'dropped', count: keys.filter(inRange).length });
    const entries = await node.control({ type: 'entries' });
    if (entries.type !== 'entries') throw new Error(entries.type);
    expect(entries.entries.map(([k]) => k).sort()).toEqual(keys.filter((k) => !inRange(k)).sort());
    // and the server itself agrees
    const raw = await rawExchange(memcached.port, `get ${keys.join(' ')}\r\n`);
    expect(raw.match(/^VALUE /gm)?.length).toBe(keys.filter((k) => !inRange(k)).length);
  });

  test('one listing serves every request of a phase; a new phase lists again', async () => {
    await node.control({ type: 'flush' });
    await node.sendBatch(buildBatch([{ op: 'store', mode: 'set', key: 'p:1', value: '1' }]));
    const first = await node.control({ type: 'export', ...everything, epoch: 1 });
    await node.sendBatch(buildBatch([{ op: 'store', mode: 'set', key: 'p:2', value: '2' }]));
    const same = await node.control({ type: 'export', ...everything, epoch: 1 });
    const next = await node.control({ type: 'export', ...everything, epoch: 2 });
    expect([first, same, next].map((r) => (r.type === 'exported' ? r.count : -1))).toEqual([
      1, 1, 2,
    ]);
  });

  test('an export sees every write sent before it', async () => {
    await node.control({ type: 'flush' });
    const keys = Array.from({ length: 500 }, (_, i) => `o:${i}`);
    const writes = node.sendBatch(
      buildBatch(keys.map((key) => ({ op: 'store', mode: 'set', key, value: key }))),
    );
    const exported = await node.control({ type: 'export', ...everything });
    await writes;
    expect(exported.type === 'exported' && exported.count).toBe(keys.length);
  });

  test('metadump: the server lines, keys URI-encoded as a worker writes them', async () => {
    await node.control({ type: 'flush' });
    await node.sendBatch(
      buildBatch([
        { op: 'store', mode: 'set', key: 'm:é', value: 'x', ttlMs: 100_000 },
        { op: 'store', mode: 'set', key: 'm:plain', value: 'y' },
      ]),
    );
    const reply = await node.control({ type: 'metadump' });
    if (reply.type !== 'metadump') throw new Error(reply.type);
    const lines = [...reply.lines].sort();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^key=m%3A%C3%A9 exp=\d+ la=\d+ cas=\d+ fetch=no cls=\d+ size=\d+$/);
    expect(lines[1]).toMatch(/^key=m%3Aplain exp=-1 la=\d+ cas=\d+ fetch=no cls=\d+ size=\d+$/);
    const exp = Number(/exp=(\d+)/.exec(lines[0]!)![1]);
    expect(Math.abs(exp - (Date.now() / 1000 + 100))).toBeLessThan(5);
  });

  test('flush empties the server; writes sent after it are kept', async () => {
    await node.sendBatch(buildBatch([{ op: 'store', mode: 'set', key: 'f:old', value: '1' }]));
    const flushed = node.control({ type: 'flush' });
    const after = node.sendBatch(
      buildBatch([{ op: 'store', mode: 'set', key: 'f:new', value: '2' }]),
    );
    expect(await flushed).toEqual({ type: 'ok' });
    await after;
    const entries = await node.control({ type: 'entries' });
    expect(entries.type === 'entries' && entries.entries.map(([k]) => k)).toEqual(['f:new']);
  });
});
