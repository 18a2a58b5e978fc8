/**
 * An append-only output buffer for protocol bytes: replies and commands are written straight
 * into it (ASCII, UTF-8, decimal numbers, value bytes), with no intermediate strings or arrays.
 */

const encoder = new TextEncoder();

const DEFAULT_CAPACITY = 16 * 1024;

/**
 * A plain Uint8Array over memory from `Buffer.allocUnsafe`: small sizes come from Node's shared
 * pool, about 3x cheaper than `new Uint8Array(n)` for a one-reply buffer. Nothing unwritten is
 * ever handed out, so the memory not being zeroed is harmless. Views are plain Uint8Arrays (not
 * Buffers) so what we hand out has one type; they may share their ArrayBuffer with other pooled
 * Buffers, so they must not be transferred to another thread.
 */
function allocate(size: number): Uint8Array {
  const pooled = Buffer.allocUnsafe(size);
  return new Uint8Array(pooled.buffer, pooled.byteOffset, size);
}

/**
 * Appends bytes; `take()` hands out what was written since the last `take()` as a view.
 *
 * A view handed out is never written over: the writer only moves forward, and when its buffer is
 * full it starts a new one (carrying over the part not yet taken). So a server can batch every
 * reply of one read into one `take()` and one socket write.
 */
export class ByteWriter {
  #buffer: Uint8Array;
  #start = 0;
  #pos = 0;
  readonly #capacity: number;

  /** `capacity`: size of each buffer the writer allocates (more if one write needs more). */
  constructor(capacity = DEFAULT_CAPACITY) {
    this.#capacity = Math.max(64, capacity);
    this.#buffer = allocate(this.#capacity);
  }

  /** Bytes written and not yet taken. */
  get length(): number {
    return this.#pos - this.#start;
  }

  /** The bytes written since the last `take()`; the writer will not touch them again. */
  take(): Uint8Array {
    const out = this.#buffer.subarray(this.#start, this.#pos);
    this.#start = this.#pos;
    return out;
  }

  /** Makes room for `count` more bytes in the current buffer. */
  reserve(count: number): void {
    if (this.#pos + count <= this.#buffer.length) return;
    const pending = this.#pos - this.#start;
    const next = allocate(Math.max(this.#capacity, pending + count));
    next.set(this.#buffer.subarray(this.#start, this.#pos));
    this.#buffer = next;
    this.#start = 0;
    this.#pos = pending;
  }

  byte(value: number): void {
    this.reserve(1);
    this.#buffer[this.#pos++] = value;
  }

  bytes(source: Uint8Array): void {
    this.reserve(source.length);
    this.#buffer.set(source, this.#pos);
    this.#pos += source.length;
  }

  /** `text` whose characters are all below 0x80 (protocol words and numbers). */
  ascii(text: string): void {
    const length = text.length;
    this.reserve(length);
    const buffer = this.#buffer;
    let pos = this.#pos;
    for (let i = 0; i < length; i++) buffer[pos++] = text.charCodeAt(i);
    this.#pos = pos;
  }

  /** `text` as UTF-8; ASCII is copied code unit by code unit, the rest by `TextEncoder`. */
  utf8(text: string): void {
    const length = text.length;
    this.reserve(length);
    const buffer = this.#buffer;
    let pos = this.#pos;
    let i = 0;
    for (; i < length; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0x80) break;
      buffer[pos++] = c;
    }
    this.#pos = pos;
    if (i === length) return;
    const rest = text.slice(i);
    // A UTF-16 code unit never takes more than 3 UTF-8 bytes.
    this.reserve(rest.length * 3);
    this.#pos += encoder.encodeInto(rest, this.#buffer.subarray(this.#pos)).written;
  }

  /** A safe integer in decimal. */
  decimal(value: number): void {
    if (value >= 0 && value < 10) {
      this.byte(0x30 + value);
      return;
    }
    this.ascii(String(value));
  }

  /** A bigint in decimal. */
  bigint(value: bigint): void {
    this.ascii(value.toString());
  }

  /** `\r\n` */
  crlf(): void {
    this.reserve(2);
    this.#buffer[this.#pos++] = 0x0d;
    this.#buffer[this.#pos++] = 0x0a;
  }
}
