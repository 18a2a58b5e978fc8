/**
 * Typed errors. Callers branch on `code` (or `instanceof`), never on `message`. Errors lose their
 * class when posted between threads, so they cross as `{ code, message }` (`toWire`) and are
 * rebuilt on the other side (`fromWire`).
 */

export type ErrorCode =
  | 'INVALID_KEY'
  | 'INVALID_ARGUMENT'
  | 'TOO_LARGE'
  | 'OUT_OF_MEMORY'
  | 'NOT_NUMERIC'
  | 'PARSE'
  | 'NODE_UNAVAILABLE'
  | 'TIMEOUT'
  | 'CLOSED';

export class CacheError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = 'CacheError';
  }
}

/** A key that is empty, over 250 bytes, or holds spaces or control characters. */
export class InvalidKeyError extends CacheError {
  constructor(message = 'key must be 1-250 bytes with no spaces or control characters') {
    super('INVALID_KEY', message);
    this.name = 'InvalidKeyError';
  }
}

/** A bad option, argument type or number (flags, ttl, delta, config). */
export class InvalidArgumentError extends CacheError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
    this.name = 'InvalidArgumentError';
  }
}

/** An item over the item-size limit, or one that could never fit in a node's memory. */
export class TooLargeError extends CacheError {
  constructor(message = 'object too large for cache') {
    super('TOO_LARGE', message);
    this.name = 'TooLargeError';
  }
}

/** No room for an item even after eviction. */
export class OutOfMemoryError extends CacheError {
  constructor(message = 'out of memory storing object') {
    super('OUT_OF_MEMORY', message);
    this.name = 'OutOfMemoryError';
  }
}

/** incr/decr on a value that is not an unsigned 64-bit decimal. */
export class NotNumericError extends CacheError {
  constructor(message = 'cannot increment or decrement non-numeric value') {
    super('NOT_NUMERIC', message);
    this.name = 'NotNumericError';
  }
}

/** Why a protocol input could not be parsed (the seed's three cases). */
export type ParseErrorKind = 'InvalidCommand' | 'InvalidArguments' | 'Incomplete';

/**
 * A malformed protocol input. `reply` is memcached's exact answer line for it (without CRLF),
 * or undefined for `Incomplete`, which waits for more bytes.
 */
export class ParseError extends CacheError {
  readonly kind: ParseErrorKind;
  readonly reply: string | undefined;
  constructor(kind: ParseErrorKind, reply?: string, message?: string) {
    super('PARSE', message ?? reply ?? kind);
    this.kind = kind;
    this.reply = reply;
    this.name = 'ParseError';
  }
}

/** A node is down, or no replica of a key could answer. */
export class NodeUnavailableError extends CacheError {
  constructor(message: string) {
    super('NODE_UNAVAILABLE', message);
    this.name = 'NodeUnavailableError';
  }
}

export class TimeoutError extends CacheError {
  constructor(message: string) {
    super('TIMEOUT', message);
    this.name = 'TimeoutError';
  }
}

/** Used after `close()`. */
export class ClosedError extends CacheError {
  constructor(message = 'cache is closed') {
    super('CLOSED', message);
    this.name = 'ClosedError';
  }
}

/** The form an error takes on a MessagePort or in a batch reply. */
export interface WireError {
  readonly code: ErrorCode;
  readonly message: string;
}

export function toWire(err: unknown): WireError {
  if (err instanceof CacheError) return { code: err.code, message: err.message };
  return { code: 'NODE_UNAVAILABLE', message: err instanceof Error ? err.message : String(err) };
}

/** Rebuilds the typed error a `WireError` stands for. */
export function fromWire(wire: WireError): CacheError {
  switch (wire.code) {
    case 'INVALID_KEY':
      return new InvalidKeyError(wire.message);
    case 'INVALID_ARGUMENT':
      return new InvalidArgumentError(wire.message);
    case 'TOO_LARGE':
      return new TooLargeError(wire.message);
    case 'OUT_OF_MEMORY':
      return new OutOfMemoryError(wire.message);
    case 'NOT_NUMERIC':
      return new NotNumericError(wire.message);
    case 'PARSE':
      return new ParseError('InvalidArguments', undefined, wire.message);
    case 'NODE_UNAVAILABLE':
      return new NodeUnavailableError(wire.message);
    case 'TIMEOUT':
      return new TimeoutError(wire.message);
    case 'CLOSED':
      return new ClosedError(wire.message);
    default:
      return assertNever(wire.code);
  }
}

/** Exhaustiveness check for `switch` over a union. */
export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${String(value)}`);
}
