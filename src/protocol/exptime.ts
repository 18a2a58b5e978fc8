/**
 * memcached's `exptime` (protocol.txt "Expiration times") turned into the storage API's `ttlMs`.
 *
 * On the wire an expiry is whole seconds: 0 is "never"; 1 to 30 days (2,592,000 s) is relative
 * to now; anything larger is an absolute unix time; a negative value means "already expired"
 * (memcached stores the item and it is immediately invisible). The storage API speaks `ttlMs`:
 * 0 is "never", a positive number is a lifetime in milliseconds from now.
 */

/** Largest relative exptime (30 days in seconds); above it an exptime is a unix time. */
export const EXPTIME_RELATIVE_MAX_SEC = 60 * 60 * 24 * 30;

/** `exptimeToTtlMs`'s answer for "already expired": never a valid lifetime for storage. */
export const EXPIRED_TTL_MS = -1;

/** `exptimeToTtlMs`'s answer for "never expires": the storage API's own 0. */
export const NEVER_TTL_MS = 0;

/**
 * Converts a wire `exptime` (seconds) to a storage `ttlMs` at time `nowMs` (unix ms).
 *
 * Returns `NEVER_TTL_MS` (0) for 0; `EXPIRED_TTL_MS` (-1) for a negative exptime or an absolute
 * time at or before `nowMs` (memcached treats `exptime <= now` as expired); otherwise a positive
 * lifetime in ms. Callers must handle -1 themselves: memcached still answers a storage command
 * with an expired exptime (`STORED`), but the item must read as absent from then on (so a `set`
 * also removes any older value), and a `touch`/`gat` to the past expires the item.
 */
export function exptimeToTtlMs(exptimeSec: number, nowMs: number): number {
  if (exptimeSec === 0) return NEVER_TTL_MS;
  if (exptimeSec < 0) return EXPIRED_TTL_MS;
  if (exptimeSec <= EXPTIME_RELATIVE_MAX_SEC) return exptimeSec * 1000;
  const ttlMs = exptimeSec * 1000 - nowMs;
  return ttlMs > 0 ? ttlMs : EXPIRED_TTL_MS;
}

/** True when `ttlMs` is `exptimeToTtlMs`'s "already expired" answer. */
export function isExpiredTtl(ttlMs: number): boolean {
  return ttlMs < 0;
}

/** Largest exptime on the wire: memcached reads it as a signed 32-bit number. */
const EXPTIME_MAX_SEC = 0x7fff_ffff;

/**
 * The inverse of `exptimeToTtlMs`, for sending a storage `ttlMs` to a memcached-protocol server
 * at time `nowMs` (unix ms): 0 (or an infinite TTL) is 0, "never"; a negative TTL is -1, which
 * memcached reads as "already expired"; a positive one is whole seconds rounded UP, so an item
 * never expires before its TTL (it may live up to a second longer). Beyond 30 days the wire
 * needs an absolute unix time, computed on this machine's clock (the server's may differ).
 */
export function ttlMsToExptime(ttlMs: number, nowMs: number): number {
  if (ttlMs === 0 || Number.isNaN(ttlMs) || ttlMs === Number.POSITIVE_INFINITY) return 0;
  if (ttlMs < 0) return -1;
  const exptimeSec = Math.ceil(ttlMs / 1000);
  if (exptimeSec <= EXPTIME_RELATIVE_MAX_SEC) return exptimeSec;
  return Math.min(EXPTIME_MAX_SEC, Math.ceil((nowMs + ttlMs) / 1000));
}
