/**
 * Per-key gates for primary-first commands (incr/decr, add, replace, append, prepend, cas): such
 * a command runs on the primary and its outcome is then copied to the other replicas, so later
 * commands on the same key are held back until that copy is sent. Replicas then apply a key's
 * writes in one order. Keys without a command in flight cost one `size` check.
 */
export class KeyGates {
  /** Keys with a primary-first command in flight: later commands on them wait here, in order. */
  readonly #held = new Map<string, (() => void)[]>();

  /** True when a command on `key` must wait. */
  isGated(key: string): boolean {
    return this.#held.size > 0 && this.#held.has(key);
  }

  /**
   * Runs `run` now, or after the primary-first command in flight on `key`. Run now, a throw
   * reaches the caller; run later (from `release`), it rejects through `reject`, so that one
   * failing command neither escapes nor holds back the commands queued after it.
   */
  whenOpen(key: string, run: () => void, reject: (err: Error) => void): void {
    const queue = this.#held.size === 0 ? undefined : this.#held.get(key);
    if (!queue) {
      run();
      return;
    }
    queue.push(() => {
      try {
        run();
      } catch (err) {
        reject(err as Error);
      }
    });
  }

  /** Closes the gate of `key`: commands on it wait until `release(key)`. */
  close(key: string): void {
    this.#held.set(key, []);
  }

  /**
   * Opens the gate of `key` and runs what waited, in order. A held command that closes the gate
   * again (a primary-first one) holds the ones after it again.
   */
  release(key: string): void {
    const held = this.#held.get(key) ?? [];
    this.#held.delete(key);
    // each held command already turns its own throw into its rejection: nothing to pass on
    for (const run of held) this.whenOpen(key, run, ignore);
  }
}

function ignore(): void {}
