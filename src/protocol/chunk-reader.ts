/**
 * The byte-level reading that the command decoder (`decoder.ts`) and the reply decoder
 * (`reply-decoder.ts`) share: the queue of pushed chunks, lines gathered across chunks, and
 * `<bytes>\r\n` data blocks. What a line or a block means, and what a decoder does with bad input,
 * stays with each decoder.
 *
 * Nothing here allocates per call beyond what the data needs: a line that spans chunks is kept in
 * one growing buffer, a block that spans chunks is copied once into a buffer of its own.
 */

const LF = 0x0a;
const CR = 0x0d;

const EMPTY = new Uint8Array(0);

/**
 * The chunks pushed and not yet consumed; `current()` is read from `pos`. `push` takes ownership
 * of a chunk: a decoder hands out views of it.
 */
export class ChunkQueue {
  /** Where reading resumes in `current()`. */
  pos = 0;
  #chunks: Uint8Array[] = [];
  #head = 0;

  push(chunk: Uint8Array): void {
    this.#chunks.push(chunk);
  }

  /**
   * The chunk being read, with `pos` inside it, or undefined when every byte has been consumed.
   * Consumed chunks are dropped as it goes, so a decoder holds no reference to them.
   */
  current(): Uint8Array | undefined {
    for (;;) {
      const chunk = this.#chunks[this.#head];
      if (chunk === undefined) {
        if (this.#head > 0) {
          this.#chunks.length = 0;
          this.#head = 0;
        }
        return undefined;
      }
      if (this.pos < chunk.length) return chunk;
      this.#chunks[this.#head++] = EMPTY;
      this.pos = 0;
    }
  }

  /** Bytes queued and not yet consumed. */
  get bufferedBytes(): number {
    let total = -this.pos;
    for (let i = this.#head; i < this.#chunks.length; i++) total += this.#chunks[i]!.length;
    return total;
  }

  /** Drops every chunk. */
  clear(): void {
    this.#chunks = [];
    this.#head = 0;
    this.pos = 0;
  }
}

/**
 * Gathers one line at a time up to its `\n`. A line inside one chunk is read in place; one that
 * spans chunks is gathered into a carry buffer, bounded by the longest line allowed.
 *
 * After each `scan`, `bytes[start, end)` is the line so far without its `\r` (a bare `\n` ends a
 * line too), whether `complete` or not, so the decoder checks its length limit on either.
 */
export class LineAssembler {
  /** The line read by the last `scan`, or the part gathered so far when not `complete`. */
  bytes: Uint8Array = EMPTY;
  start = 0;
  end = 0;
  /** True when the last `scan` reached the `\n`. */
  complete = false;
  readonly #lineMaxBytes: number;
  /** A line that spans chunks, gathered here until its `\n` arrives. */
  #line = new Uint8Array(256);
  #lineLength = 0;

  /** `lineMaxBytes`: the longest line the decoder may accept, which bounds the carry buffer. */
  constructor(lineMaxBytes: number) {
    this.#lineMaxBytes = lineMaxBytes;
  }

  /** Bytes of an unfinished line held in the carry buffer. */
  get pending(): number {
    return this.#lineLength;
  }

  /** Reads `chunk` from `from` through the next `\n` (or to its end); returns where to resume. */
  scan(chunk: Uint8Array, from: number): number {
    const newline = chunk.indexOf(LF, from);
    if (newline < 0) {
      this.#carry(chunk, from, chunk.length);
      this.complete = false;
      return chunk.length;
    }
    let bytes = chunk;
    let start = from;
    let end = newline;
    if (this.#lineLength > 0) {
      this.#carry(chunk, from, newline);
      bytes = this.#line;
      start = 0;
      end = this.#lineLength;
      this.#lineLength = 0;
    }
    this.#set(bytes, start, end);
    this.complete = true;
    return newline + 1;
  }

  /** Forgets any unfinished line and frees the carry buffer (the decoder has closed). */
  release(): void {
    this.#line = EMPTY;
    this.#lineLength = 0;
    this.bytes = EMPTY;
  }

  /** Keeps `chunk[from, to)` of an unfinished line. */
  #carry(chunk: Uint8Array, from: number, to: number): void {
    // Keep at most the longest line allowed, its `\r` and one byte more: enough to tell the
    // line is too long, and a bound on what a peer can make us hold.
    const count = Math.min(to - from, this.#lineMaxBytes + 2 - this.#lineLength);
    const needed = this.#lineLength + count;
    if (needed > this.#line.length) {
      const grown = new Uint8Array(Math.max(needed, this.#line.length * 2));
      grown.set(this.#line.subarray(0, this.#lineLength));
      this.#line = grown;
    }
    this.#line.set(chunk.subarray(from, from + count), this.#lineLength);
    this.#lineLength = needed;
    this.#set(this.#line, 0, needed);
  }

  #set(bytes: Uint8Array, start: number, end: number): void {
    // The last byte may be the `\r` of `\r\n` (or of the coming `\r\n`): it is no part of the
    // line and does not count against the limit. memcached accepts a bare `\n` as well.
    if (end > start && bytes[end - 1] === CR) end--;
    this.bytes = bytes;
    this.start = start;
    this.end = end;
  }
}

/**
 * Reads one data block: `length` bytes, then `\r\n`. A block that lies inside one chunk is a
 * `subarray` of it (no copy); one that spans chunks is copied once, into a buffer of its own.
 * The two tail bytes are only checked once all `length + 2` have arrived, as memcached reads
 * exactly `<bytes> + 2` and then checks for `\r\n` (complete_nread_ascii).
 */
export class BlockReader {
  /** The declared length of the block, without its `\r\n`. */
  length = 0;
  /** Bytes consumed so far, the tail included: the block is read at `length + 2`. */
  read = 0;
  /** The value: a view of a chunk or our own copy. */
  #value: Uint8Array | undefined;
  #tailCr = 0;
  #tailLf = 0;

  /** Starts a block of `length` bytes. */
  start(length: number): void {
    this.length = length;
    this.read = 0;
    this.#value = undefined;
  }

  /** Consumes what `chunk` holds of the block from `pos`; returns where to resume. */
  consume(chunk: Uint8Array, pos: number): number {
    const length = this.length;
    let read = this.read;
    if (read === 0 && chunk.length - pos >= length) {
      // The whole value is in this chunk: hand out a view, no copy.
      this.#value = chunk.subarray(pos, pos + length);
      pos += length;
      read = length;
    } else if (read < length) {
      // The value spans chunks: copy it, once, into a buffer of its own.
      let value = this.#value;
      if (value === undefined) {
        value = new Uint8Array(length);
        this.#value = value;
      }
      const count = Math.min(length - read, chunk.length - pos);
      value.set(chunk.subarray(pos, pos + count), read);
      pos += count;
      read += count;
    }
    if (read === length && pos < chunk.length) {
      this.#tailCr = chunk[pos++]!;
      read++;
    }
    if (read === length + 1 && pos < chunk.length) {
      this.#tailLf = chunk[pos++]!;
      read++;
    }
    this.read = read;
    return pos;
  }

  /** True once the block and its two tail bytes have been read. */
  get done(): boolean {
    return this.read >= this.length + 2;
  }

  /** True when the block read was ended by `\r\n`. */
  get terminated(): boolean {
    return this.#tailCr === CR && this.#tailLf === LF;
  }

  /** Hands out the value read and forgets it. */
  take(): Uint8Array {
    const value = this.#value ?? EMPTY;
    this.#value = undefined;
    return value;
  }

  /** Forgets the value (the decoder has closed). */
  clear(): void {
    this.#value = undefined;
  }
}
