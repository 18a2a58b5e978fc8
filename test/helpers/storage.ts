/** Helpers shared by the storage tests: a fake clock and side-effect-free views of a node. */
import type { CacheNodeOptions } from '../../src/storage/cache-node.js';
import { CacheNode } from '../../src/storage/cache-node.js';
import type { CacheEntry, EvictionPolicy } from '../../src/types.js';

/** A clock that moves only when a test says so. Starts on a whole second. */
export class FakeClock {
  now = 1_000_000;
  readonly read = (): number => this.now;
  advance(ms: number): void {
    this.now += ms;
  }
}

/** A node on a fake clock. */
export function nodeWithClock(
  maxMemory: number,
  policy: EvictionPolicy = 'lru',
  options: Omit<CacheNodeOptions, 'clock'> = {},
): { node: CacheNode; clock: FakeClock } {
  const clock = new FakeClock();
  return { node: new CacheNode(maxMemory, policy, { ...options, clock: clock.read }), clock };
}

/**
 * The keys a node holds (expired ones included until reclaimed), sorted, read through the
 * partition lists: unlike `get`, this counts no hit or miss and moves nothing in any order.
 */
export function storedKeys(node: CacheNode): string[] {
  const keys: string[] = [];
  for (const partition of node.partitionIds()) {
    for (const key of node.partitionKeys(partition)) keys.push(Buffer.from(key).toString('utf8'));
  }
  return keys.sort();
}

/** The value of an entry as text (latin1, so that any byte maps to one character). */
export function text(entry: CacheEntry | undefined): string | undefined {
  return entry === undefined ? undefined : Buffer.from(entry.value).toString('latin1');
}

export function bytes(value: string): Uint8Array {
  return Buffer.from(value, 'latin1');
}

/** A value of `length` bytes, all `fill`. */
export function filled(length: number, fill = 0x61): Uint8Array {
  return new Uint8Array(length).fill(fill);
}

/** Runs `fn` and returns what it threw (failing if it did not throw). */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}
