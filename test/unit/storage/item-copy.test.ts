import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { CacheNode } from '../../../src/storage/cache-node.js';
import { copyBytes } from '../../../src/storage/item-copy.js';

/** Values whose 8-byte words are float64 NaNs of every kind, infinities and -0. */
function trickyValue(length: number, seed: number): Uint8Array {
  const words = [
    [0x7f, 0xf0, 0, 0, 0, 0, 0, 1], // signalling NaN, smallest payload
    [0x7f, 0xf7, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], // signalling NaN, largest payload
    [0xff, 0xf8, 0, 0, 0, 0, 0, 0], // negative quiet NaN
    [0x7f, 0xf8, 0xde, 0xad, 0xbe, 0xef, 0, 1], // quiet NaN with a payload
    [0x80, 0, 0, 0, 0, 0, 0, 0], // -0
    [0x7f, 0xf0, 0, 0, 0, 0, 0, 0], // Infinity
    [0, 0, 0, 0, 0, 0, 0, 1], // smallest subnormal
  ];
  const value = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    const word = words[(Math.floor(i / 8) + seed) % words.length]!;
    // both byte orders: the copy reads little-endian words, a NaN can sit either way round
    value[i] = seed % 2 === 0 ? word[i % 8]! : word[7 - (i % 8)]!;
  }
  return value;
}

describe('values into and out of the slab', () => {
  it('copies every byte pattern exactly, at any length and offset, cold and optimised', () => {
    const node = new CacheNode(1 << 20);
    const lengths = [0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 100, 255, 256, 257, 1000];
    for (const [i, length] of lengths.entries()) node.set(`k${i}`, trickyValue(length, i));
    // a pooled Buffer: byteOffset is not 0, so the DataView must start at it
    const out = Buffer.allocUnsafe(1200);
    for (let round = 0; round < 300; round++) {
      for (const [i, length] of lengths.entries()) {
        node.set(`k${i}`, trickyValue(length, i)); // copied in, over the old value
        const at = (round * 7 + i) % 11;
        out.fill(0xa5);
        const item = node.peekBytes(Buffer.from(`k${i}`), 0, `k${i}`.length);
        expect(node.copyValue(item, out, at)).toBe(length);
        if (round % 50 !== 0 && round !== 299) continue; // checking every round is slow
        expect(Buffer.compare(out.subarray(at, at + length), trickyValue(length, i))).toBe(0);
        expect(out.subarray(0, at).every((b) => b === 0xa5)).toBe(true);
        expect(out.subarray(at + length).every((b) => b === 0xa5)).toBe(true);
      }
    }
  });

  it('refuses to write past the end of the destination', () => {
    const node = new CacheNode(4096);
    for (const length of [10, 100, 300]) {
      node.set('k', new Uint8Array(length).fill(1));
      const item = node.peekBytes(Buffer.from('k'), 0, 1);
      const out = new Uint8Array(length + 4).fill(9);
      expect(() => node.copyValue(item, out, 5)).toThrow(RangeError);
      expect(() => node.copyValue(item, out, -1)).toThrow(RangeError);
      expect(node.copyValue(item, out, 4)).toBe(length);
    }
  });

  it('follows a new destination buffer', () => {
    const node = new CacheNode(4096);
    node.set('k', new Uint8Array(40).fill(7));
    const item = node.peekBytes(Buffer.from('k'), 0, 1);
    const first = new Uint8Array(40);
    const second = new Uint8Array(50);
    node.copyValue(item, first, 0);
    node.copyValue(item, second, 10);
    expect(first.every((b) => b === 7)).toBe(true);
    expect(second.subarray(10).every((b) => b === 7)).toBe(true);
    expect(second.subarray(0, 10).every((b) => b === 0)).toBe(true);
  });
});

describe('copyBytes', () => {
  it('copies short runs, whole arrays and ranges', () => {
    const src = Uint8Array.from({ length: 40 }, (_, i) => i);
    for (const [from, length] of [
      [3, 5],
      [0, 40],
      [5, 30],
    ] as const) {
      const dst = new Uint8Array(50);
      copyBytes(src, from, length, dst, 2);
      expect([...dst.subarray(2, 2 + length)]).toEqual([...src.subarray(from, from + length)]);
      expect(dst[1]).toBe(0);
      expect(dst[2 + length]).toBe(0);
    }
  });
});

describe('values handed out by get', () => {
  it('are separate copies that stay valid across pool refills, small and large', () => {
    const node = new CacheNode(1 << 22);
    const lengths = [0, 1, 7, 100, 1000, 1024, 1025, 5000];
    for (const [i, length] of lengths.entries()) node.set(`k${i}`, trickyValue(length, i));
    const held: Uint8Array[] = [];
    // 16 KiB pools: 400 rounds of ~2 KiB of pooled values refill the pool many times
    for (let round = 0; round < 400; round++) {
      for (const i of lengths.keys()) held.push(node.get(`k${i}`)!.value);
    }
    for (const [n, value] of held.entries()) {
      const i = n % lengths.length;
      expect(value.length).toBe(lengths[i]);
      expect(Buffer.compare(value, trickyValue(lengths[i]!, i))).toBe(0);
    }
    held[0 * lengths.length + 3]!.fill(0); // writing to one copy touches no other, nor the node
    expect(Buffer.compare(held[1 * lengths.length + 3]!, trickyValue(100, 3))).toBe(0);
    expect(Buffer.compare(node.get('k3')!.value, trickyValue(100, 3))).toBe(0);
  });

  it('cannot have their pool detached by a transfer list', () => {
    const node = new CacheNode(4096);
    node.set('a', trickyValue(100, 1));
    node.set('b', trickyValue(100, 2));
    const a = node.get('a')!.value;
    const { port1, port2 } = new MessageChannel();
    try {
      port1.postMessage(a, [a.buffer as ArrayBuffer]); // copied, not moved
    } finally {
      port1.close();
      port2.close();
    }
    expect(Buffer.compare(a, trickyValue(100, 1))).toBe(0);
    expect(Buffer.compare(node.get('b')!.value, trickyValue(100, 2))).toBe(0);
  });
});
