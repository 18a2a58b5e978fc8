/**
 * `ProtocolParser`: the seed's one-shot API over the streaming decoder and the encoder. A server
 * keeps a `CommandDecoder` per connection instead; this is for callers holding one request.
 */

import { ParseError } from '../errors.js';
import type { CacheCommand, CacheResponse } from './commands.js';
import { CommandDecoder, type DecoderOptions } from './decoder.js';
import { encodeResponse } from './encoder.js';

// biome-ignore lint/complexity/noStaticOnlyClass: DESIGN.md's public API is `ProtocolParser.parse`.
export class ProtocolParser {
  /**
   * Parses the first complete command in `input`; bytes after it are ignored. A storage
   * command's `value` is a view into `input` (no copy).
   *
   * Throws `ParseError` with `kind`:
   * - `Incomplete` when `input` ends before the command does (no `\n` yet, or a data block
   *   shorter than declared);
   * - `InvalidCommand` for an unknown command name (`reply` is `ERROR`);
   * - `InvalidArguments` for anything else memcached refuses, with `reply` set to memcached's
   *   exact line (`CLIENT_ERROR bad command line format`, `CLIENT_ERROR bad data chunk`, ...)
   *   or undefined where memcached stays silent (`noreply`, or it drops the connection).
   */
  static parse(input: Uint8Array, options?: DecoderOptions): CacheCommand {
    const decoder = new CommandDecoder(options);
    decoder.push(input);
    const result = decoder.next();
    if (result === undefined) throw new ParseError('Incomplete');
    if (result.type === 'invalid') throw new ParseError(result.kind, result.reply, result.message);
    return result;
  }

  /** memcached's reply bytes for `response` (see `encodeResponse`); empty for `none`. */
  static serialize(response: CacheResponse): Uint8Array {
    return encodeResponse(response);
  }
}
