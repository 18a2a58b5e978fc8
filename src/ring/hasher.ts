/**
 * xxh64 (seed 0) for ring positions and key routing, from `xxhash-wasm`.
 *
 * The wasm module is instantiated by a top-level `await`, so this module finishes loading only
 * once the hasher is ready: any module that imports it (directly or through `HashRing`) can hash
 * synchronously from its first line, and there is no "not initialised yet" state to get wrong.
 * The price is that importers must be ES modules, which the whole project is.
 */
import xxhash from 'xxhash-wasm';

const api = await xxhash();

/**
 * xxh64 of the key's UTF-8 bytes, seed 0: a uint64 as a `bigint`. Equal to
 * `hashBytes(new TextEncoder().encode(key))`, so a key hashed as a string on one side and as bytes
 * on the other routes to the same place. Cost: one UTF-8 encode into wasm memory plus the hash
 * (about 80 ns for a short key); allocates only the returned bigint.
 */
export function hashKey(key: string): bigint {
  return api.h64(key, 0n);
}

/**
 * xxh64 of raw bytes, seed 0: a uint64 as a `bigint`. Copies the bytes into wasm memory once;
 * allocates only the returned bigint.
 */
export function hashBytes(bytes: Uint8Array): bigint {
  return api.h64Raw(bytes, 0n);
}

/**
 * xxh64 of a prefix of one scratch buffer that already holds a key's bytes (the cluster encodes
 * each key once, to validate it and to batch it): skips `hashKey`'s second UTF-8 encode. Views
 * of every prefix length are made once, so a call allocates only the returned bigint.
 */
export class PrefixHasher {
  readonly #prefixes: Uint8Array[];

  constructor(scratch: Uint8Array) {
    this.#prefixes = Array.from(
      { length: scratch.length + 1 },
      (_, n) => new Uint8Array(scratch.buffer, scratch.byteOffset, n),
    );
  }

  /** xxh64 of the scratch buffer's first `length` bytes. */
  hash(length: number): bigint {
    return api.h64Raw(this.#prefixes[length]!, 0n);
  }
}
