import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SlabAllocator } from '../../../src/storage/slab-allocator.js';

const KIB = 1024;
const MIB = 1024 * KIB;

interface Chunk {
  readonly address: number;
  readonly page: number;
  readonly offset: number;
  readonly size: number;
}

function alloc(slab: SlabAllocator, size: number): Chunk {
  const address = slab.alloc(size);
  const page = SlabAllocator.pageOf(address);
  return { address, page, offset: SlabAllocator.offsetOf(address), size };
}

describe('SlabAllocator.chunkBytes', () => {
  it('steps by 8 bytes up to 512', () => {
    expect(SlabAllocator.chunkBytes(0)).toBe(8);
    expect(SlabAllocator.chunkBytes(1)).toBe(8);
    expect(SlabAllocator.chunkBytes(8)).toBe(8);
    expect(SlabAllocator.chunkBytes(9)).toBe(16);
    expect(SlabAllocator.chunkBytes(16)).toBe(16);
    expect(SlabAllocator.chunkBytes(17)).toBe(24);
    expect(SlabAllocator.chunkBytes(505)).toBe(512);
    expect(SlabAllocator.chunkBytes(512)).toBe(512);
    for (let size = 1; size <= 512; size++) {
      expect(SlabAllocator.chunkBytes(size)).toBe(Math.ceil(size / 8) * 8);
    }
  });

  it('grows by 12.5% (rounded up to 8) above 512, up to 512 KiB', () => {
    expect(SlabAllocator.chunkBytes(513)).toBe(576);
    expect(SlabAllocator.chunkBytes(576)).toBe(576);
    expect(SlabAllocator.chunkBytes(577)).toBe(648);
    expect(SlabAllocator.chunkBytes(512 * KIB)).toBe(512 * KIB);
  });

  it('gives an item above 512 KiB exactly its own size', () => {
    expect(SlabAllocator.chunkBytes(512 * KIB + 1)).toBe(512 * KIB + 1);
    expect(SlabAllocator.chunkBytes(MIB)).toBe(MIB);
  });

  it('is monotonic, never below the size, and wastes at most 12.5% above 512 bytes', () => {
    let previous = 0;
    for (let size = 1; size <= 600 * KIB; size += size < 4096 ? 1 : 997) {
      const chunk = SlabAllocator.chunkBytes(size);
      expect(chunk).toBeGreaterThanOrEqual(size);
      expect(chunk).toBeGreaterThanOrEqual(previous);
      expect(chunk % 8 === 0 || chunk === size).toBe(true);
      if (size > 512) expect(chunk).toBeLessThanOrEqual(Math.ceil((size * 1.125) / 8) * 8 + 8);
      previous = chunk;
    }
  });
});

describe('SlabAllocator', () => {
  it('carves chunks of a class from one page at chunk-size offsets', () => {
    const slab = new SlabAllocator();
    const a = alloc(slab, 10);
    const b = alloc(slab, 16);
    const c = alloc(slab, 9);
    expect(b.page).toBe(a.page);
    expect(c.page).toBe(a.page);
    expect([a.offset, b.offset, c.offset]).toEqual([0, 16, 32]);
  });

  it('keeps classes on separate pages', () => {
    const slab = new SlabAllocator();
    const small = alloc(slab, 8);
    const medium = alloc(slab, 100);
    expect(medium.page).not.toBe(small.page);
    expect(medium.offset).toBe(0);
  });

  it('reuses a freed chunk of the same class first (LIFO)', () => {
    const slab = new SlabAllocator();
    const a = alloc(slab, 20);
    const b = alloc(slab, 20);
    alloc(slab, 20);
    slab.free(a.address, a.size);
    slab.free(b.address, b.size);
    const again1 = alloc(slab, 17); // same 24-byte class
    const again2 = alloc(slab, 24);
    expect([again1.page, again1.offset]).toEqual([b.page, b.offset]);
    expect([again2.page, again2.offset]).toEqual([a.page, a.offset]);
    // a chunk freed in another class is not handed to this one
    const other = alloc(slab, 200);
    slab.free(other.address, other.size);
    const fresh = alloc(slab, 20);
    expect(fresh.offset).toBe(72);
  });

  it('starts a class with a 64 KiB page, then takes 1 MiB pages', () => {
    const slab = new SlabAllocator();
    const base = slab.physicalBytes;
    const first = alloc(slab, 8);
    expect(slab.pages[first.page]!.length).toBe(64 * KIB);
    expect(slab.physicalBytes - base).toBe(64 * KIB);
    for (let i = 1; i < (64 * KIB) / 8; i++) {
      expect(alloc(slab, 8).page).toBe(first.page);
    }
    const next = alloc(slab, 8);
    expect(next.page).not.toBe(first.page);
    expect(next.offset).toBe(0);
    expect(slab.pages[next.page]!.length).toBe(MIB);
    expect(slab.physicalBytes - base).toBe(64 * KIB + MIB);
  });

  it('trims a page to a whole number of chunks', () => {
    const slab = new SlabAllocator();
    const chunk = alloc(slab, 24);
    expect(slab.pages[chunk.page]!.length).toBe(64 * KIB - ((64 * KIB) % 24));
    const big = alloc(slab, 100 * KIB);
    const bigChunk = SlabAllocator.chunkBytes(100 * KIB);
    expect(slab.pages[big.page]!.length).toBe(bigChunk); // larger than 64 KiB: one chunk
  });

  it('gives a huge item a page of its own and releases it on free', () => {
    const slab = new SlabAllocator();
    const base = slab.physicalBytes;
    const huge = alloc(slab, 600 * KIB);
    expect(huge.offset).toBe(0);
    expect(slab.pages[huge.page]!.length).toBe(600 * KIB);
    expect(slab.physicalBytes - base).toBe(600 * KIB);
    slab.free(huge.address, huge.size);
    expect(slab.physicalBytes).toBe(base);
    expect(slab.pages[huge.page]!.length).toBe(0);
    // its page number is reused by the next page, of any kind
    const again = alloc(slab, 700 * KIB);
    expect(again.page).toBe(huge.page);
    expect(slab.pages[again.page]!.length).toBe(700 * KIB);
    expect(slab.physicalBytes - base).toBe(700 * KIB);
  });

  it("counts the free lists' own arrays as they grow, and keeps them counted after reset", () => {
    const slab = new SlabAllocator();
    const base = slab.physicalBytes;
    const chunks = Array.from({ length: 100 }, () => alloc(slab, 8));
    expect(slab.physicalBytes - base).toBe(64 * KIB);
    // 100 frees need room for 100 addresses: the class's stack grows 16 → 32 → 64 → 128 entries
    for (const c of chunks) slab.free(c.address, c.size);
    expect(slab.physicalBytes - base).toBe(64 * KIB + (128 - 16) * 4);
    slab.reset();
    expect(slab.physicalBytes - base).toBe((128 - 16) * 4);
  });

  it('never hands out overlapping live chunks (random alloc/free)', () => {
    const sizes = fc.oneof(
      fc.integer({ min: 1, max: 64 }),
      fc.integer({ min: 500, max: 700 }),
      fc.integer({ min: 512 * KIB - 8, max: 512 * KIB + 8 }),
    );
    const op = fc.oneof(
      sizes.map((size) => ({ kind: 'alloc' as const, size })),
      fc.nat().map((index) => ({ kind: 'free' as const, index })),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const slab = new SlabAllocator();
        const base = slab.physicalBytes;
        const live: Chunk[] = [];
        for (const o of ops) {
          if (o.kind === 'alloc') {
            const chunk = alloc(slab, o.size);
            const page = slab.pages[chunk.page]!;
            expect(chunk.offset + o.size).toBeLessThanOrEqual(page.length);
            for (const other of live) {
              if (other.page !== chunk.page) continue;
              const otherEnd = other.offset + SlabAllocator.chunkBytes(other.size);
              const end = chunk.offset + SlabAllocator.chunkBytes(o.size);
              expect(end <= other.offset || otherEnd <= chunk.offset).toBe(true);
            }
            live.push(chunk);
          } else if (live.length > 0) {
            const [chunk] = live.splice(o.index % live.length, 1);
            slab.free(chunk!.address, chunk!.size);
          }
          const liveBytes = live.reduce((sum, c) => sum + c.size, 0);
          expect(slab.physicalBytes - base).toBeGreaterThanOrEqual(liveBytes);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('reset drops every page and starts over', () => {
    const slab = new SlabAllocator();
    const base = slab.physicalBytes;
    alloc(slab, 8);
    alloc(slab, 100);
    const huge = alloc(slab, 600 * KIB);
    slab.free(huge.address, huge.size);
    slab.reset();
    expect(slab.pages).toHaveLength(0);
    expect(slab.physicalBytes).toBe(base);
    const after = alloc(slab, 8);
    expect([after.page, after.offset]).toEqual([0, 0]);
    expect(alloc(slab, 8).offset).toBe(8);
  });
});
