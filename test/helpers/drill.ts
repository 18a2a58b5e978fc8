/**
 * The remote-node failure drill shared by the remote integration suites: load, SIGKILL one
 * memcached mid-load, check no read failed and every acknowledged write is readable, restart it
 * on its port, wait for the cluster to find it alive and refill it, and check its contents on
 * the server itself.
 */

import { expect } from 'vitest';
import type { DistributedCache } from '../../src/cluster/distributed-cache.js';
import { text } from './cluster.js';
import { parseReplies, waitUntil } from './net.js';
import { type MemcachedNode, rawExchange } from './remote.js';

const WRITERS = 4;
const READERS = 4;
const ROUNDS = 1_500;

/** Rejects after `ms` so an awaited cluster state can never hang a test. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Values the server at `port` holds for `keys`, read with raw `gets`, 100 keys a line. */
export async function serverValues(
  port: number,
  keys: readonly string[],
): Promise<Map<string, string>> {
  const values = new Map<string, string>();
  for (let i = 0; i < keys.length; i += 100) {
    const reply = await rawExchange(port, `gets ${keys.slice(i, i + 100).join(' ')}\r\n`);
    for (const item of parseReplies(Buffer.from(reply, 'latin1'))) {
      const key = /^VALUE (\S+) /.exec(item.line)?.[1];
      if (key !== undefined && item.data) values.set(key, item.data.toString('utf8'));
    }
  }
  return values;
}

/** What a load run under a kill left behind. */
export interface LoadUnderKill {
  /** Each key's last acknowledged value. */
  readonly acked: Map<string, string>;
  readonly failedReads: number;
  readonly failedWrites: number;
  readonly killed: boolean;
}

/**
 * Writes every key, then runs WRITERS writers and READERS readers concurrently for ROUNDS rounds
 * and calls `kill` a third of the way through. Each writer owns the keys i ≡ w (mod WRITERS) and
 * awaits each write, so its last acknowledged value per key is well defined.
 */
export async function loadUnderKill(
  cache: DistributedCache,
  keys: readonly string[],
  kill: () => Promise<void>,
): Promise<LoadUnderKill> {
  const acked = new Map<string, string>();
  await cache.setMany(keys.map((k) => [k, `v0:${k}`]));
  for (const k of keys) acked.set(k, `v0:${k}`);
  let failedReads = 0;
  let failedWrites = 0;
  let killed = false;
  const perWriter = keys.length / WRITERS;
  const writer = async (w: number): Promise<void> => {
    for (let round = 0; round < ROUNDS; round++) {
      const key = keys[w + WRITERS * ((round * 13) % perWriter)]!;
      const value = `w${w}:${round}`;
      try {
        await cache.set(key, value);
        acked.set(key, value);
      } catch {
        failedWrites++;
      }
      if (w === 0 && round === ROUNDS / 3 && !killed) {
        killed = true;
        await kill();
      }
    }
  };
  const reader = async (r: number): Promise<void> => {
    for (let round = 0; round < ROUNDS; round++) {
      const key = keys[(round * 7 + r * 1013) % keys.length]!;
      try {
        if ((await cache.get(key)) === undefined) failedReads++;
      } catch {
        failedReads++;
      }
    }
  };
  await Promise.all([
    ...Array.from({ length: WRITERS }, (_, w) => writer(w)),
    ...Array.from({ length: READERS }, (_, r) => reader(r)),
  ]);
  return { acked, failedReads, failedWrites, killed };
}

export interface DrillOptions {
  readonly cache: DistributedCache;
  readonly keys: readonly string[];
  /** The memcached to kill, and its id on the ring. */
  readonly victim: MemcachedNode;
  readonly victimId: string;
}

/** Runs the drill; throws (through expect) on any lost read or write. */
export async function killAndReviveDrill({
  cache,
  keys,
  victim,
  victimId,
}: DrillOptions): Promise<void> {
  const { acked, failedReads, failedWrites, killed } = await loadUnderKill(cache, keys, () =>
    victim.kill(),
  );
  expect(killed).toBe(true);
  expect(failedReads).toBe(0);
  expect(failedWrites).toBe(0);

  const isAlive = (): boolean => cache.servers().find((s) => s.id === victimId)?.isAlive === true;
  await waitUntil(() => !isAlive(), `${victimId} marked dead`, 10_000);
  // while it is down, every acknowledged write is readable from the others
  const during = await cache.getMany(keys);
  expect(keys.filter((k, i) => text(during[i]) !== acked.get(k))).toEqual([]);

  await victim.restart();
  await within(cache.rebalance(), 30_000, `${victimId} revived and refilled`);
  expect(cache.servers().every((s) => s.isAlive)).toBe(true);
  const after = await cache.getMany(keys);
  expect(keys.filter((k, i) => text(after[i]) !== acked.get(k))).toEqual([]);

  // the restarted server holds exactly its share, with the last values, read from it directly
  const owned = keys.filter((k) => cache.serversForKey(k).some((s) => s.id === victimId));
  expect(owned.length).toBeGreaterThan(0);
  const held = await serverValues(victim.port, keys);
  expect([...held.keys()].sort()).toEqual([...owned].sort());
  expect(owned.filter((k) => held.get(k) !== acked.get(k))).toEqual([]);

  // and it serves reads again: those whose primary it is
  const primaryOf = keys.filter((k) => cache.serversForKey(k)[0]?.id === victimId);
  const hitsBefore = cache.nodeStats()[victimId]?.hits ?? 0;
  const values = await cache.getMany(primaryOf);
  expect(primaryOf.filter((k, i) => text(values[i]) !== acked.get(k))).toEqual([]);
  expect((cache.nodeStats()[victimId]?.hits ?? 0) - hitsBefore).toBe(primaryOf.length);
}
