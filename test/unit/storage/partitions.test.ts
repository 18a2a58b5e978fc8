import { describe, expect, it } from 'vitest';
import { CacheNode } from '../../../src/storage/cache-node.js';
import { hashKeyBytes } from '../../../src/storage/key-bytes.js';
import { PartitionLists } from '../../../src/storage/partitions.js';
import { NONE, SlotTable } from '../../../src/storage/slot-table.js';
import { bytes, filled, nodeWithClock, storedKeys, text } from '../../helpers/storage.js';

function lists(): { table: SlotTable; parts: PartitionLists } {
  const table = new SlotTable(16);
  for (let i = 0; i < 16; i++) table.allocate();
  return { table, parts: new PartitionLists(table) };
}

function members(table: SlotTable, parts: PartitionLists, partition: number): number[] {
  const out: number[] = [];
  for (let slot = parts.first(partition); slot !== NONE; slot = table.partNext[slot]!) {
    out.push(slot);
  }
  return out;
}

function storeIn(node: CacheNode, key: string, value: string, partition: number): void {
  const k = Buffer.from(key);
  const v = bytes(value);
  expect(node.storeBytes('set', k, 0, k.length, v, 0, v.length, 0, 0, 0n, partition)).toBe(
    'stored',
  );
}

function keysOf(node: CacheNode, partition: number): string[] {
  return node
    .partitionKeys(partition)
    .map((k) => Buffer.from(k).toString())
    .sort();
}

describe('PartitionLists', () => {
  it('files slots by partition, newest first', () => {
    const { table, parts } = lists();
    parts.add(0, 7);
    parts.add(1, 7);
    parts.add(2, 9);
    parts.add(3, 7);
    expect(members(table, parts, 7)).toEqual([3, 1, 0]);
    expect(members(table, parts, 9)).toEqual([2]);
    expect(members(table, parts, 8)).toEqual([]);
    expect(parts.ids().sort()).toEqual([7, 9]);
    expect(table.partition[1]).toBe(7);
  });

  it('removes the head, the middle and the tail; drops an emptied partition', () => {
    const { table, parts } = lists();
    for (const slot of [0, 1, 2, 3, 4]) parts.add(slot, 5);
    parts.remove(4); // head
    parts.remove(2); // middle
    parts.remove(0); // tail
    expect(members(table, parts, 5)).toEqual([3, 1]);
    parts.remove(1);
    parts.remove(3);
    expect(parts.first(5)).toBe(NONE);
    expect(parts.ids()).toEqual([]);
  });

  it('handles partition ids across the uint32 range', () => {
    const { table, parts } = lists();
    parts.add(0, 0);
    parts.add(1, 0xffffffff);
    expect(members(table, parts, 0xffffffff)).toEqual([1]);
    parts.remove(1);
    expect(parts.ids()).toEqual([0]);
  });

  it('clear forgets every partition', () => {
    const { parts } = lists();
    parts.add(0, 1);
    parts.add(1, 2);
    parts.clear();
    expect(parts.ids()).toEqual([]);
    expect(parts.first(1)).toBe(NONE);
  });
});

describe('CacheNode partitions', () => {
  it('files a key under the partition the byte API gives', () => {
    const node = new CacheNode(1024);
    storeIn(node, 'a', '1', 3);
    storeIn(node, 'b', '2', 3);
    storeIn(node, 'c', '3', 42);
    expect(node.partitionIds().sort((x, y) => x - y)).toEqual([3, 42]);
    expect(keysOf(node, 3)).toEqual(['a', 'b']);
    expect(keysOf(node, 42)).toEqual(['c']);
    expect(keysOf(node, 4)).toEqual([]);
  });

  it('derives the default partition from the top byte of the key hash', () => {
    const node = new CacheNode(1024);
    for (const key of ['alpha', 'beta', 'gamma', 'clé']) {
      node.set(key, bytes('v'));
      const k = Buffer.from(key);
      const partition = hashKeyBytes(k, 0, k.length) >>> 24;
      expect(keysOf(node, partition)).toContain(key);
    }
  });

  it('returns copies of the keys', () => {
    const node = new CacheNode(1024);
    storeIn(node, 'key', 'v', 1);
    const [copy] = node.partitionKeys(1);
    copy!.fill(0x7a);
    expect(keysOf(node, 1)).toEqual(['key']);
    expect(text(node.get('key'))).toBe('v');
  });

  it('drops one partition only, returning how many it held, not as evictions', () => {
    const node = new CacheNode(1024);
    storeIn(node, 'a', '12345', 1);
    storeIn(node, 'b', '12345', 1);
    storeIn(node, 'c', '12345', 2);
    expect(node.stats().bytesStored).toBe(18);
    expect(node.dropPartition(1)).toBe(2);
    expect(node.dropPartition(1)).toBe(0);
    expect(node.dropPartition(99)).toBe(0);
    expect(node.partitionIds()).toEqual([2]);
    expect(storedKeys(node)).toEqual(['c']);
    const stats = node.stats();
    expect([stats.bytesStored, stats.entryCount, stats.evictions, stats.expired]).toEqual([
      6, 1, 0, 0,
    ]);
    expect(node.get('a')).toBeUndefined();
    expect(text(node.get('c'))).toBe('12345');
  });

  it('lists expired keys until they are reclaimed', () => {
    const { node, clock } = nodeWithClock(1024);
    const k = Buffer.from('soon');
    const v = bytes('x');
    node.storeBytes('set', k, 0, k.length, v, 0, v.length, 10, 0, 0n, 5);
    clock.advance(10);
    expect(keysOf(node, 5)).toEqual(['soon']);
    expect(node.cleanExpired()).toBe(1);
    expect(keysOf(node, 5)).toEqual([]);
    expect(node.partitionIds()).toEqual([]);
  });

  it('a set over an existing key with another partition moves it', () => {
    const node = new CacheNode(1024);
    storeIn(node, 'k', 'one', 1);
    storeIn(node, 'k', 'two', 2); // same chunk size: the in-place path
    expect(keysOf(node, 1)).toEqual([]);
    expect(keysOf(node, 2)).toEqual(['k']);
    storeIn(node, 'k', 'a much longer value than before', 3); // new chunk
    expect(keysOf(node, 2)).toEqual([]);
    expect(keysOf(node, 3)).toEqual(['k']);
    expect(node.stats().entryCount).toBe(1);
  });

  it('incr, append, prepend and touch keep the partition', () => {
    const node = new CacheNode(1024);
    storeIn(node, 'n', '99', 7);
    storeIn(node, 's', 'mid', 7);
    expect(node.incr('n', 1)).toBe(100n); // new length: re-stored
    expect(node.incr('n', 1)).toBe(101n); // same length: in place
    expect(node.store('append', 's', bytes('-end'))).toBe('stored');
    expect(node.store('prepend', 's', bytes('start-'))).toBe('stored');
    expect(node.touch('s', 1000)).toBe(true);
    expect(keysOf(node, 7)).toEqual(['n', 's']);
    expect(node.partitionIds()).toEqual([7]);
    expect(text(node.get('s'))).toBe('start-mid-end');
  });

  it('setPartition re-files a stored key', () => {
    const node = new CacheNode(1024);
    storeIn(node, 'a', '1', 1);
    storeIn(node, 'b', '2', 1);
    const a = Buffer.from('a');
    node.setPartition(node.peekBytes(a, 0, 1), 1); // already there: nothing changes
    expect(keysOf(node, 1)).toEqual(['a', 'b']);
    node.setPartition(node.peekBytes(a, 0, 1), 8);
    expect(keysOf(node, 1)).toEqual(['b']);
    expect(keysOf(node, 8)).toEqual(['a']);
    expect(node.dropPartition(8)).toBe(1);
    expect(storedKeys(node)).toEqual(['b']);
    expect(node.stats().entryCount).toBe(1);
  });

  it('forgets partitions on flush and files new keys after it', () => {
    const node = new CacheNode(1024);
    storeIn(node, 'a', '1', 1);
    node.flush();
    expect(node.partitionIds()).toEqual([]);
    expect(keysOf(node, 1)).toEqual([]);
    storeIn(node, 'b', '2', 1);
    expect(keysOf(node, 1)).toEqual(['b']);
  });

  it('keeps partition lists right through evictions', () => {
    const node = new CacheNode(30);
    storeIn(node, 'a', 'x'.repeat(9), 1);
    storeIn(node, 'b', 'x'.repeat(9), 2);
    storeIn(node, 'c', 'x'.repeat(9), 1);
    node.set('d', filled(9)); // evicts a
    expect(keysOf(node, 1)).toEqual(['c']);
    expect(keysOf(node, 2)).toEqual(['b']);
    expect(node.dropPartition(1)).toBe(1);
    expect(storedKeys(node)).toEqual(['b', 'd']);
  });
});
