/**
 * Byte-level helpers for one command line: a reusable tokenizer and the number and string
 * readers the line parser needs. Nothing here builds a string of the line; only keys (and a
 * `stats` group) become strings.
 */

const SPACE = 0x20;
const MINUS = 0x2d;
const ZERO = 0x30;

/**
 * Splits a line into tokens by byte offsets, the way memcached's `tokenize_command` does: only
 * the space (0x20) separates (a tab is part of a token), runs of spaces count as one, and the
 * line ends at its first NUL byte (memcached works on a C string). One instance is reused for
 * every line; its offset arrays grow to the longest line seen, so tokenizing allocates nothing.
 */
export class LineTokens {
  /** The bytes the offsets point into (the last tokenized line's buffer). */
  bytes: Uint8Array = new Uint8Array(0);
  /** Number of tokens in the last line. */
  count = 0;
  #starts = new Int32Array(16);
  #ends = new Int32Array(16);

  /** Tokenizes `bytes[start, end)`; returns the token count. */
  tokenize(bytes: Uint8Array, start: number, end: number): number {
    this.bytes = bytes;
    let count = 0;
    let tokenStart = -1;
    let i = start;
    for (; i < end; i++) {
      const b = bytes[i]!;
      if (b === SPACE || b === 0) {
        if (tokenStart >= 0) {
          count = this.#add(count, tokenStart, i);
          tokenStart = -1;
        }
        if (b === 0) break;
      } else if (tokenStart < 0) {
        tokenStart = i;
      }
    }
    if (tokenStart >= 0) count = this.#add(count, tokenStart, i);
    this.count = count;
    return count;
  }

  /** Start offset of token `index` (< count). */
  start(index: number): number {
    return this.#starts[index]!;
  }

  /** End offset (exclusive) of token `index` (< count). */
  end(index: number): number {
    return this.#ends[index]!;
  }

  /** Byte length of token `index`. */
  length(index: number): number {
    return this.#ends[index]! - this.#starts[index]!;
  }

  /** True when token `index` is exactly the ASCII bytes of `literal`. */
  equals(index: number, literal: Uint8Array): boolean {
    const s = this.#starts[index]!;
    const n = this.#ends[index]! - s;
    if (n !== literal.length) return false;
    const bytes = this.bytes;
    for (let i = 0; i < n; i++) if (bytes[s + i] !== literal[i]) return false;
    return true;
  }

  /** True when token `index` starts with `prefix`. */
  startsWith(index: number, prefix: Uint8Array): boolean {
    const s = this.#starts[index]!;
    if (this.#ends[index]! - s < prefix.length) return false;
    const bytes = this.bytes;
    for (let i = 0; i < prefix.length; i++) if (bytes[s + i] !== prefix[i]) return false;
    return true;
  }

  /** Token `index` as an unsigned 32-bit decimal, or -1 (see `parseU32`). */
  u32(index: number): number {
    return parseU32(this.bytes, this.#starts[index]!, this.#ends[index]!);
  }

  /** Token `index` as a signed 32-bit decimal, or undefined (see `parseI32`). */
  i32(index: number): number | undefined {
    return parseI32(this.bytes, this.#starts[index]!, this.#ends[index]!);
  }

  /** Token `index` as an unsigned 64-bit decimal, or undefined (see `parseU64`). */
  u64(index: number): bigint | undefined {
    return parseU64(this.bytes, this.#starts[index]!, this.#ends[index]!);
  }

  #add(count: number, start: number, end: number): number {
    if (count === this.#starts.length) {
      const starts = new Int32Array(count * 2);
      const ends = new Int32Array(count * 2);
      starts.set(this.#starts);
      ends.set(this.#ends);
      this.#starts = starts;
      this.#ends = ends;
    }
    this.#starts[count] = start;
    this.#ends[count] = end;
    return count + 1;
  }
}

/**
 * Parses `bytes[start, end)` as an unsigned 32-bit decimal: digits only (leading zeros allowed),
 * at most 4,294,967,295. Returns -1 otherwise.
 *
 * Stricter than memcached 1.6.18, whose `strtoul` also takes a `+` sign and leading whitespace
 * and silently truncates values past 2^32; current memcached (`mcmc_toktou32`) refuses those too.
 */
export function parseU32(bytes: Uint8Array, start: number, end: number): number {
  if (start >= end) return -1;
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = bytes[i]! - ZERO;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
    if (value > 0xffff_ffff) return -1;
  }
  return value;
}

/**
 * Parses `bytes[start, end)` as a signed 32-bit decimal (an optional `-`, then digits). Returns
 * undefined when malformed or out of range (memcached 1.6.18 truncates; current memcached
 * refuses, as we do).
 */
export function parseI32(bytes: Uint8Array, start: number, end: number): number | undefined {
  const negative = start < end && bytes[start] === MINUS;
  const digitsStart = negative ? start + 1 : start;
  if (digitsStart >= end) return undefined;
  const limit = negative ? 0x8000_0000 : 0x7fff_ffff;
  let value = 0;
  for (let i = digitsStart; i < end; i++) {
    const digit = bytes[i]! - ZERO;
    if (digit < 0 || digit > 9) return undefined;
    value = value * 10 + digit;
    if (value > limit) return undefined;
  }
  return negative ? -value : value;
}

const U64_MAX = 0xffff_ffff_ffff_ffffn;

/**
 * Parses `bytes[start, end)` as an unsigned 64-bit decimal (digits only). Returns undefined when
 * malformed or above 2^64 - 1, as memcached does for a delta or a CAS unique.
 */
export function parseU64(bytes: Uint8Array, start: number, end: number): bigint | undefined {
  if (start >= end) return undefined;
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = bytes[i]! - ZERO;
    if (digit < 0 || digit > 9) return undefined;
    value = value * 10 + digit;
  }
  // Up to 15 digits the double above is exact; beyond, redo the sum in bigint (rare: CAS values
  // and deltas that large are unusual).
  if (end - start <= 15) return BigInt(value);
  let big = 0n;
  for (let i = start; i < end; i++) big = big * 10n + BigInt(bytes[i]! - ZERO);
  return big <= U64_MAX ? big : undefined;
}

/** The ASCII bytes of `text` (for comparing tokens against literals). */
export function ascii(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

type Latin1Slice = (this: Uint8Array, start: number, end: number) => string;

// Node's Buffer has a native `latin1Slice` that works on any Uint8Array without wrapping it in a
// Buffer: about 2x faster than `String.fromCharCode` for a 12-byte key, more for longer ones. It
// is not in the typings, so it is looked up once, with a plain loop as the fallback.
const nativeLatin1Slice = (Buffer.prototype as unknown as { latin1Slice?: Latin1Slice })
  .latin1Slice;

/** `bytes[start, end)` as a string of the same code units (Latin-1; exact for ASCII). */
export function decodeLatin1(bytes: Uint8Array, start: number, end: number): string {
  if (nativeLatin1Slice !== undefined) return nativeLatin1Slice.call(bytes, start, end);
  let text = '';
  for (let i = start; i < end; i++) text += String.fromCharCode(bytes[i]!);
  return text;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** `bytes[start, end)` decoded as UTF-8, or undefined when it is not well-formed UTF-8. */
export function decodeUtf8(bytes: Uint8Array, start: number, end: number): string | undefined {
  try {
    return utf8.decode(bytes.subarray(start, end));
  } catch {
    return undefined;
  }
}
