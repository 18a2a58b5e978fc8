/**
 * Spin, then park: while batches are in flight, the main thread's event loop is kept from
 * blocking in the kernel (a `setImmediate` chain makes libuv poll with a zero timeout), so a
 * reply is picked up by the next turn of the loop instead of waking a sleeping thread. Waking
 * costs tens of microseconds on a virtual machine, once per batch on each side, and during that
 * time neither side works: at 256 callers on 2 nodes the main thread sat idle ~20% of the time.
 *
 * The spin stops as soon as nothing is in flight, and `spinMs` after the last send at the
 * latest (a slow node then costs no more CPU than that). Timers and I/O run as usual meanwhile.
 */

export class ReplyPoller {
  readonly #spinMs: number;
  #inFlight = 0;
  #spinUntil = 0;
  #isSpinning = false;

  /** `spinMs` 0 never spins. */
  constructor(spinMs: number) {
    this.#spinMs = spinMs;
  }

  /** Whether the event loop is being kept from sleeping. */
  get isSpinning(): boolean {
    return this.#isSpinning;
  }

  /** Batches sent and not yet answered or failed. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** A batch went out. */
  sent(): void {
    this.#inFlight++;
    if (this.#spinMs === 0) return;
    this.#spinUntil = performance.now() + this.#spinMs;
    if (!this.#isSpinning) {
      this.#isSpinning = true;
      setImmediate(this.#spin);
    }
  }

  /** A batch was answered, or failed. */
  settled(): void {
    this.#inFlight--;
  }

  readonly #spin = (): void => {
    if (this.#inFlight > 0 && performance.now() < this.#spinUntil) setImmediate(this.#spin);
    else this.#isSpinning = false;
  };
}
