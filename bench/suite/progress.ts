/**
 * Progress of a suite run on stderr: on a TTY, one live line (bar, step, elapsed time, what is
 * running) redrawn in place, with each finished step's result printed above it; otherwise plain
 * lines, one per step, fit for CI logs.
 */

export interface Progress {
  /** Announces the next step (one cell of a section). */
  start(label: string): void;
  /** Ends the current step with its one-line result. */
  finish(result: string): void;
  /** A remark that is not a step (a skipped system, a check that ran). */
  note(text: string): void;
}

/** Progress that prints nothing (tests, library use). */
export const SILENT_PROGRESS: Progress = { start() {}, finish() {}, note() {} };

const BAR_WIDTH = 24;

export class ConsoleProgress implements Progress {
  readonly #stream: NodeJS.WriteStream;
  readonly #isLive: boolean;
  readonly #startedMs = Date.now();
  readonly #total: number;
  #done = 0;
  #label = '';
  #timer: ReturnType<typeof setInterval> | undefined;

  /** `total`: the steps the run will take, for the bar. */
  constructor(total: number, stream: NodeJS.WriteStream = process.stderr) {
    this.#total = Math.max(1, total);
    this.#stream = stream;
    this.#isLive = stream.isTTY === true;
  }

  start(label: string): void {
    this.#label = label;
    if (!this.#isLive) return;
    // Redraw a few times a second so the elapsed time moves during long steps.
    this.#timer ??= setInterval(() => this.#draw(), 250).unref();
    this.#draw();
  }

  finish(result: string): void {
    this.#done = Math.min(this.#total, this.#done + 1);
    this.#print(`[${this.#done}/${this.#total}] ${this.#label}: ${result}`);
  }

  note(text: string): void {
    this.#print(`  ${text}`);
  }

  /** Stops redrawing and clears the live line. */
  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#isLive) this.#stream.write('\x1b[2K\r');
  }

  #print(line: string): void {
    if (!this.#isLive) {
      this.#stream.write(`${line}\n`);
      return;
    }
    this.#stream.write(`\x1b[2K\r${line}\n`);
    this.#draw();
  }

  #draw(): void {
    const filled = Math.round((this.#done / this.#total) * BAR_WIDTH);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}`;
    const line = `${bar} ${this.#done}/${this.#total} ${elapsed(this.#startedMs)}  ${this.#label}`;
    const width = this.#stream.columns ?? 100;
    this.#stream.write(`\x1b[2K\r${line.slice(0, Math.max(20, width - 1))}`);
  }
}

function elapsed(sinceMs: number): string {
  const seconds = Math.floor((Date.now() - sinceMs) / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}
