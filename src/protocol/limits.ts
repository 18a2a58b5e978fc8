/**
 * Protocol limits of the memcached text protocol, and the key rule every node enforces.
 *
 * Numbers come from memcached 1.6 (`memcached.h`, `proto_text.c`) and `doc/protocol.txt`
 * ("Keys", "Storage commands"); where shardcache chooses a bound memcached lacks, it says so.
 */

/** Longest key in bytes (protocol.txt "Keys": 250 characters; memcached's `KEY_MAX_LENGTH`). */
export const KEY_MAX_BYTES = 250;

/**
 * Longest command line, in bytes before its `\r\n`, that is not a retrieval line. memcached drops
 * the connection, without a reply, once it holds more than 2048 bytes with no `\n` and the line
 * is not a `get`/`gets` (`try_read_command_ascii`).
 */
export const LINE_MAX_BYTES = 2048;

/**
 * memcached skips up to this many leading spaces when it looks for `get `/`gets ` at the start of
 * an over-long line; more and it drops the connection.
 */
export const LEADING_SPACES_MAX = 100;

/**
 * Longest retrieval line (`get`/`gets`/`gat`/`gats`). memcached lets a multiget line grow without
 * bound; we cap it so a connection's buffer cannot (1 MiB holds ~4,000 keys of 250 bytes).
 */
export const DEFAULT_GET_LINE_MAX_BYTES = 1024 * 1024;

/** Default largest value in bytes: memcached's `-I` default ("the famous 1MB upper limit"). */
export const DEFAULT_ITEM_MAX_BYTES = 1024 * 1024;

/**
 * Largest `<bytes>` memcached's line parser accepts (`INT_MAX - 2`: it adds 2 for the CRLF).
 * A larger count is `CLIENT_ERROR bad command line format`; a smaller one over the item limit is
 * `SERVER_ERROR object too large for cache`.
 */
export const VALUE_LENGTH_MAX = 2_147_483_645;

/** What `checkKeyBytes` found. */
export const KEY_CHECK = {
  /** Empty, over `KEY_MAX_BYTES`, or holds a byte <= 0x20 or 0x7f. */
  INVALID: 0,
  /** Valid and pure ASCII: the bytes are the string's UTF-16 code units. */
  ASCII: 1,
  /** Valid so far but holds bytes >= 0x80: must still decode as UTF-8. */
  NON_ASCII: 2,
} as const;
export type KeyCheck = (typeof KEY_CHECK)[keyof typeof KEY_CHECK];

/**
 * Checks `bytes[start, end)` against the key rule: 1–250 bytes, none of them a control
 * character, space or DEL (protocol.txt "Keys"). Bytes >= 0x80 pass here; UTF-8 validity is left
 * to the decoding step, which needs to run anyway. O(length), no allocation.
 */
export function checkKeyBytes(bytes: Uint8Array, start: number, end: number): KeyCheck {
  const length = end - start;
  if (length < 1 || length > KEY_MAX_BYTES) return KEY_CHECK.INVALID;
  let high = 0;
  for (let i = start; i < end; i++) {
    const b = bytes[i]!;
    if (b <= 0x20 || b === 0x7f) return KEY_CHECK.INVALID;
    high |= b;
  }
  return high >= 0x80 ? KEY_CHECK.NON_ASCII : KEY_CHECK.ASCII;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** True when `bytes` is a valid key: the rule of `checkKeyBytes`, and well-formed UTF-8. */
export function isValidKeyBytes(bytes: Uint8Array): boolean {
  const check = checkKeyBytes(bytes, 0, bytes.length);
  if (check !== KEY_CHECK.NON_ASCII) return check === KEY_CHECK.ASCII;
  try {
    utf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

const encoder = new TextEncoder();

/**
 * True when the string `key` is a valid key once UTF-8 encoded (the same rule as the wire, so a
 * key accepted by the embedded API can be sent to any node). ASCII keys are checked without
 * encoding.
 */
export function isValidKey(key: string): boolean {
  const length = key.length;
  if (length < 1) return false;
  let i = 0;
  for (; i < length; i++) {
    const c = key.charCodeAt(i);
    if (c >= 0x80) break;
    if (c <= 0x20 || c === 0x7f) return false;
  }
  if (i === length) return length <= KEY_MAX_BYTES;
  // A lone surrogate would encode as U+FFFD and alias another key: refuse it.
  for (let j = i; j < length; j++) {
    const c = key.charCodeAt(j);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = key.charCodeAt(j + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
      j++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return false;
    }
  }
  const bytes = encoder.encode(key);
  return checkKeyBytes(bytes, 0, bytes.length) !== KEY_CHECK.INVALID;
}
