/**
 * memcached's `lru_crawler metadump` lines (protocol.txt "lru_crawler metadump"): one line per
 * item, `key=value` fields separated by spaces, values URI-encoded, ending with a bare `\n`.
 */

/**
 * One `lru_crawler metadump` line. Fields absent from the line take neutral values (exptime -1,
 * the others 0 / false): memcached promises at least key, exp, la, cas and fetch.
 */
export interface MetadumpPart {
  readonly type: 'metadump';
  /** The key's bytes (the line carries it URI-encoded: `%20` for a space). */
  readonly key: Uint8Array;
  /** Absolute unix time in seconds, on the server's clock; -1 for "never". */
  readonly exptimeSec: number;
  /** Last access, absolute unix seconds on the server's clock. */
  readonly lastAccessSec: number;
  readonly cas: bigint;
  readonly isFetched: boolean;
  readonly slabClass: number;
  readonly sizeBytes: number;
}

const EMPTY = new Uint8Array(0);

/**
 * Parses one metadump line (`key=… exp=… la=… cas=… fetch=… cls=… size=…`). Unknown fields are
 * ignored (memcached says more may be added); absent or malformed ones take neutral values.
 */
export function parseMetadump(line: string): MetadumpPart {
  let key: Uint8Array = EMPTY;
  let exptimeSec = -1;
  let lastAccessSec = 0;
  let cas = 0n;
  let isFetched = false;
  let slabClass = 0;
  let sizeBytes = 0;
  for (const field of line.split(' ')) {
    const eq = field.indexOf('=');
    if (eq < 0) continue;
    const name = field.slice(0, eq);
    const value = field.slice(eq + 1);
    switch (name) {
      case 'key':
        key = decodeUriBytes(value);
        break;
      case 'exp':
        exptimeSec = toInt(value, -1);
        break;
      case 'la':
        lastAccessSec = toInt(value, 0);
        break;
      case 'cas':
        cas = /^\d{1,20}$/.test(value) ? BigInt(value) : 0n;
        break;
      case 'fetch':
        isFetched = value === 'yes';
        break;
      case 'cls':
        slabClass = toInt(value, 0);
        break;
      case 'size':
        sizeBytes = toInt(value, 0);
        break;
      default:
        // memcached says more fields may be added: ignore the ones we do not know
        break;
    }
  }
  return { type: 'metadump', key, exptimeSec, lastAccessSec, cas, isFetched, slabClass, sizeBytes };
}

function toInt(text: string, fallback: number): number {
  return /^-?\d{1,15}$/.test(text) ? Number(text) : fallback;
}

/**
 * `%NN` escapes to bytes (memcached URI-encodes every byte outside its safe set). Characters
 * outside escapes are ASCII in memcached's output; anything else is taken as its UTF-8 bytes, and
 * a `%` not followed by two hex digits stands for itself.
 */
export function decodeUriBytes(text: string): Uint8Array {
  if (!text.includes('%')) return Buffer.from(text, 'utf8');
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x25 && i + 2 < text.length && isHex(text, i + 1) && isHex(text, i + 2)) {
      out.push(Number.parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c < 0x80) {
      out.push(c);
    } else {
      const codePoint = text.codePointAt(i)!;
      const char = String.fromCodePoint(codePoint);
      for (const b of Buffer.from(char, 'utf8')) out.push(b);
      i += char.length - 1;
    }
  }
  return Uint8Array.from(out);
}

function isHex(text: string, at: number): boolean {
  const c = text.charCodeAt(at);
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}
