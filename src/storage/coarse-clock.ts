/**
 * The node's millisecond clock. With the default clock, a reading is reused for up to
 * `resolutionMs` and at most REUSE_OPS reads (like lru-cache's `ttlResolution`): reading the
 * clock costs ~35 ns, as much as a whole lookup. An injected clock is read every time
 * (deterministic tests).
 */

/** A reused reading is refreshed after at most this many reads, timer or not. */
const REUSE_OPS = 1024;

export class CoarseClock {
  readonly #read: () => number;
  readonly #resolutionMs: number;
  #nowMs = 0;
  /** Reads left before the reading must be refreshed; 0 = stale. */
  #reuseLeft = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** `resolutionMs` 0 reads `read` every time. */
  constructor(read: () => number, resolutionMs: number) {
    this.#read = read;
    this.#resolutionMs = resolutionMs;
  }

  now(): number {
    if (this.#reuseLeft > 0) {
      this.#reuseLeft--;
      return this.#nowMs;
    }
    this.#nowMs = this.#read();
    if (this.#resolutionMs > 0) {
      this.#reuseLeft = REUSE_OPS;
      this.#timer ??= setTimeout(this.#expire, this.#resolutionMs).unref();
    }
    return this.#nowMs;
  }

  readonly #expire = (): void => {
    this.#reuseLeft = 0;
    this.#timer = undefined;
  };
}
