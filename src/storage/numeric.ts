/**
 * memcached's incr/decr arithmetic on stored bytes: the value must be an unsigned 64-bit decimal
 * (digits, optionally followed by spaces or CR/LF, as memcached's `safe_strtoull` accepts); incr
 * wraps at 2^64, decr stops at 0.
 */

const U64_MAX = (1n << 64n) - 1n;
const U64_WRAP = 1n << 64n;

/** The number held in `bytes[offset, offset + length)`, or undefined if it is not one. */
export function parseU64(bytes: Uint8Array, offset: number, length: number): bigint | undefined {
  let end = offset + length;
  while (end > offset) {
    const b = bytes[end - 1]!;
    if (b !== 0x20 && b !== 0x0d && b !== 0x0a) break;
    end--;
  }
  const digits = end - offset;
  if (digits === 0 || digits > 20) return undefined;
  let n = 0n;
  let small = 0;
  for (let i = offset; i < end; i++) {
    const d = bytes[i]! - 0x30;
    if (d < 0 || d > 9) return undefined;
    // accumulate in a float while exact, in BigInt after
    if (i - offset < 15) small = small * 10 + d;
    else n = n * 10n + BigInt(d);
  }
  const value = digits <= 15 ? BigInt(small) : BigInt(small) * 10n ** BigInt(digits - 15) + n;
  return value > U64_MAX ? undefined : value;
}

/** `value + delta` for incr (wrapping at 2^64) or `value - delta` for decr (floor 0). */
export function applyDelta(value: bigint, delta: bigint, isIncrement: boolean): bigint {
  if (isIncrement) return (value + delta) % U64_WRAP;
  return value > delta ? value - delta : 0n;
}

/** True when `delta` is a valid unsigned 64-bit amount. */
export function isU64(delta: bigint): boolean {
  return delta >= 0n && delta <= U64_MAX;
}
