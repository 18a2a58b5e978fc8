/**
 * The shape of each text-protocol command line, in one table: how many tokens memcached accepts
 * (outside that range it answers `ERROR`, before it looks at `noreply`), whether a trailing
 * `noreply` silences the reply, and whether a data block follows. Counts include the command
 * name, and come from `process_command_ascii`'s `WANT_TOKENS` checks (memcached 1.6).
 */

import type { CommandType } from './commands.js';

export interface CommandSpec {
  /** Fewest tokens on the line, the name included. */
  readonly minTokens: number;
  /** Most tokens on the line; `Infinity` for the multi-key retrievals and the free-form ones. */
  readonly maxTokens: number;
  /** A last token `noreply` silences the reply, errors included (protocol.txt "noreply"). */
  readonly noreply: boolean;
  /** A `<bytes>`-long data block and `\r\n` follow the line (protocol.txt "Storage commands"). */
  readonly hasData: boolean;
}

const retrieval = { minTokens: 2, maxTokens: Infinity, noreply: false, hasData: false } as const;
const storage = { minTokens: 5, maxTokens: 6, noreply: true, hasData: true } as const;
const keyed = { minTokens: 3, maxTokens: 4, noreply: true, hasData: false } as const;
const freeForm = { minTokens: 1, maxTokens: Infinity, noreply: false, hasData: false } as const;

export const COMMAND_SPECS = {
  get: retrieval,
  gets: retrieval,
  // `gat <exptime>` with no key is accepted: memcached answers a bare `END`.
  gat: retrieval,
  gats: retrieval,
  set: storage,
  add: storage,
  replace: storage,
  append: storage,
  prepend: storage,
  cas: { minTokens: 6, maxTokens: 7, noreply: true, hasData: true },
  incr: keyed,
  decr: keyed,
  touch: keyed,
  // `delete <key> [0] [noreply]`: the legacy hold time is accepted only as `0`.
  delete: { minTokens: 2, maxTokens: 4, noreply: true, hasData: false },
  flush_all: { minTokens: 1, maxTokens: 3, noreply: true, hasData: false },
  verbosity: { minTokens: 2, maxTokens: 3, noreply: true, hasData: false },
  // memcached ignores anything after these names.
  stats: freeForm,
  version: freeForm,
  quit: freeForm,
  lru_crawler: { minTokens: 2, maxTokens: 4, noreply: false, hasData: false },
} as const satisfies Record<CommandType, CommandSpec>;

/** Every command name, as the ASCII bytes the tokenizer compares against. */
export const COMMAND_NAMES: readonly CommandType[] = Object.keys(COMMAND_SPECS) as CommandType[];
