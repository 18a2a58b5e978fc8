/**
 * memcached's reply lines for bad input (without CRLF), exactly as `proto_text.c` writes them,
 * and the item the decoder yields instead of a command when input is bad.
 */

/** The error lines the decoder and `toReply` produce (protocol.txt "Error strings"). */
export const REPLY = {
  /** Unknown command name, or a known one with the wrong number of tokens. */
  ERROR: 'ERROR',
  /** A key over 250 bytes, or a token that is not the number it must be. */
  BAD_FORMAT: 'CLIENT_ERROR bad command line format',
  /** `delete <key> <x>` where `<x>` is neither `0` nor `noreply` (two spaces: memcached's). */
  DELETE_USAGE: 'CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]',
  /** The `<bytes>` data block was not followed by `\r\n`. */
  BAD_DATA_CHUNK: 'CLIENT_ERROR bad data chunk',
  /** `touch`, `gat`/`gats` or `flush_all` with an exptime that is not a number. */
  BAD_EXPTIME: 'CLIENT_ERROR invalid exptime argument',
  /** `incr`/`decr` whose delta is not an unsigned 64-bit decimal. */
  BAD_DELTA: 'CLIENT_ERROR invalid numeric delta argument',
  /** `incr`/`decr` on a stored value that is not an unsigned 64-bit decimal. */
  NON_NUMERIC: 'CLIENT_ERROR cannot increment or decrement non-numeric value',
  /** A value over the item-size limit (or larger than a node can ever hold). */
  TOO_LARGE: 'SERVER_ERROR object too large for cache',
  /** No room for an item even after eviction. */
  OUT_OF_MEMORY: 'SERVER_ERROR out of memory storing object',
} as const;

/**
 * Bad input, as the decoder reports it in place of a command. The connection goes on with the
 * next command unless `close` is set.
 */
export interface InvalidInput {
  readonly type: 'invalid';
  /** `InvalidCommand` for an unknown command name or junk memcached drops; else `InvalidArguments`. */
  readonly kind: 'InvalidCommand' | 'InvalidArguments';
  /** memcached's reply line for the condition, or a description when memcached closes silently. */
  readonly message: string;
  /**
   * The line to write back (without CRLF), or undefined to write nothing: memcached is silent
   * when the command carried `noreply`, and when it drops the connection.
   */
  readonly reply: string | undefined;
  /** Drop the connection (after writing `reply`, if any); the decoder yields nothing more. */
  readonly close: boolean;
  /**
   * Set when a `set` is refused as too large: memcached then also unlinks the key's current
   * value, so a reader never sees data the client meant to replace. The server should delete it.
   */
  readonly unlinkKey: string | undefined;
}

/** Builds an `InvalidInput` that writes `message` unless `noreply`; never closes. */
export function invalidArguments(message: string, noreply: boolean): InvalidInput {
  return noreply ? SILENT_BY_MESSAGE.get(message)! : LOUD_BY_MESSAGE.get(message)!;
}

function build(
  kind: InvalidInput['kind'],
  message: string,
  reply: string | undefined,
  close: boolean,
  unlinkKey?: string,
): InvalidInput {
  return Object.freeze({ type: 'invalid', kind, message, reply, close, unlinkKey });
}

// Every non-closing error is one of a fixed set, so those items are built once and shared:
// a client that sends garbage in a loop costs no allocation per error.
const LOUD_BY_MESSAGE = new Map<string, InvalidInput>();
const SILENT_BY_MESSAGE = new Map<string, InvalidInput>();
for (const message of Object.values(REPLY)) {
  LOUD_BY_MESSAGE.set(message, build('InvalidArguments', message, message, false));
  SILENT_BY_MESSAGE.set(message, build('InvalidArguments', message, undefined, false));
}

/** An unknown command name: `ERROR`, never suppressed (no token is trusted to mean `noreply`). */
export const UNKNOWN_COMMAND: InvalidInput = build(
  'InvalidCommand',
  REPLY.ERROR,
  REPLY.ERROR,
  false,
);

/** A known command with the wrong token count: `ERROR`, not suppressed by `noreply`. */
export const WRONG_TOKEN_COUNT: InvalidInput = LOUD_BY_MESSAGE.get(REPLY.ERROR)!;

/** A line that looks like HTTP (its last token starts with `HTTP/`): memcached hangs up. */
export const HTTP_REQUEST: InvalidInput = build(
  'InvalidCommand',
  'HTTP request on the memcached port',
  undefined,
  true,
);

/** A command line over its length limit before its `\n`: memcached hangs up without a word. */
export const LINE_TOO_LONG: InvalidInput = build(
  'InvalidCommand',
  'command line too long',
  undefined,
  true,
);

/** `SERVER_ERROR object too large for cache`; for `set`, also unlink `key`. */
export function tooLarge(noreply: boolean, unlinkKey: string | undefined): InvalidInput {
  if (unlinkKey === undefined) return invalidArguments(REPLY.TOO_LARGE, noreply);
  return build(
    'InvalidArguments',
    REPLY.TOO_LARGE,
    noreply ? undefined : REPLY.TOO_LARGE,
    false,
    unlinkKey,
  );
}
