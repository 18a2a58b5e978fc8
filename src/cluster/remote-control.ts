/**
 * Control requests (migration export and drop, entries) answered by a memcached-protocol server,
 * with the same replies NodeService gives for a worker node. A server has no partitions to walk,
 * so its keys come from `lru_crawler metadump` (protocol.txt "lru_crawler metadump": one
 * `key=<uri-encoded> exp=… la=… cas=… fetch=…` line per item, then END), are filtered by their
 * xxh64 ring hash, and are then read one by one:
 *
 *   export   metadump ─► keys in range ─► mg <key> f t v  (meta servers: flags, TTL left, value)
 *                                       └► gets <key>     (others: TTL from the metadump's exp
 *                                                          against the server's `stats` time)
 *            ─► a batch of `add` STORE ops, as NodeService#export builds it
 *   drop     metadump ─► keys in range ─► delete <key>
 *   entries  metadump ─► every key ─► get <key>
 *   metadump the server's own lines, re-encoded as a worker writes them
 *
 * Each listing starts with a barrier (every command sent before it answered), so it sees every
 * write sent before it, as a worker's control request would; the exports (or the drops) of one
 * migration phase share one listing (messages.ts PhaseHint), not one metadump per range. The
 * reads then go through the pool by partition, behind any later write to the same key. A key
 * deleted between the listing and the read is skipped. The listing runs on a connection of its own: memcached refuses a metadump
 * pipelined behind other commands, and answers BUSY while its crawler is already running.
 */

import { NodeUnavailableError } from '../errors.js';
import { ByteWriter } from '../protocol/byte-writer.js';
import { encodeCommand } from '../protocol/encoder.js';
import { isValidKeyBytes } from '../protocol/limits.js';
import type { MetadumpPart, ReplyPart } from '../protocol/reply-decoder.js';
import { hashBytes } from '../ring/hasher.js';
import { isHashInRange } from '../ring/ring-diff.js';
import { BatchWriter, Op, storeModeCode } from './batch-format.js';
import { backoffDelayMs } from './failure-detector.js';
import { type ControlReply, type HashRange, type PhaseHint, partitionOf } from './messages.js';
import { uriEncode } from './node-service.js';
import {
  CollectingHandler,
  type CommandReply,
  type ConnectionOptions,
  type Endpoint,
  RemoteConnection,
} from './remote-connection.js';

/** What the control requests need from the node. */
export interface ControlHost {
  readonly id: string;
  readonly endpoint: Endpoint;
  readonly connectionOptions: ConnectionOptions;
  readonly hasMeta: boolean;
  /** One command on the pool connection that serves `partition`. */
  command(partition: number, bytes: Uint8Array, isWrite: boolean): Promise<CommandReply>;
  /** Resolves once every command sent before the call has been answered. */
  barrier(): Promise<void>;
  /** The last listing taken for a migration phase (messages.ts PhaseHint), kept by the node. */
  listing: KeyListing | undefined;
}

/** Every key a node listed, with its ring hash, for the phase `epoch`. */
export interface KeyListing {
  readonly epoch: number;
  readonly keys: readonly ListedKey[];
}

/** Keys read per round: bounds the pipeline depth and what one round holds. */
const WINDOW = 512;
/** How long a phase's key listing is kept for the phase's next requests. */
const LISTING_KEEP_MS = 30_000;
/** How many times to ask a BUSY crawler again before giving up. */
const BUSY_RETRY_COUNT = 8;

export interface ListedKey {
  readonly key: Uint8Array;
  readonly hash: bigint;
  readonly exptimeSec: number;
}

/** The items in `range`, as a batch of `add` STORE ops another node can apply as-is. */
export async function exportRange(
  host: ControlHost,
  range: HashRange & PhaseHint,
): Promise<ControlReply> {
  const keys = inRange(await listKeys(host, range.epoch), range);
  const serverNowSec = host.hasMeta ? 0 : await serverTimeSec(host);
  const out = new BatchWriter();
  out.u32(0);
  let count = 0;
  await forEachWindow(keys, async (listed) => {
    const bytes = host.hasMeta
      ? metaGet(listed.key)
      : encodeCommand({ type: 'gets', keys: [utf8(listed.key)] });
    const reply = await host.command(partitionOf(listed.hash), bytes, false);
    const item = host.hasMeta ? fromMeta(reply) : fromGets(reply, listed, serverNowSec);
    if (item === undefined) return;
    out.u8(Op.STORE);
    out.u8(listed.key.length);
    out.bytes(listed.key);
    out.u32(partitionOf(listed.hash));
    out.u8(storeModeCode('add'));
    out.u32(item.flags);
    out.f64(item.ttlMs);
    out.u32(0);
    out.u32(0);
    out.u32(item.value.length);
    out.bytes(item.value);
    count++;
  });
  out.setU32At(0, count);
  return { type: 'exported', batch: out.take(), count };
}

/** Deletes the items in `range`; the count of those that were there. */
export async function dropRange(
  host: ControlHost,
  range: HashRange & PhaseHint,
): Promise<ControlReply> {
  const keys = inRange(await listKeys(host, range.epoch), range);
  let count = 0;
  await forEachWindow(keys, async (listed) => {
    const bytes = encodeCommand({ type: 'delete', key: utf8(listed.key), noreply: false });
    const reply = await host.command(partitionOf(listed.hash), bytes, true);
    if (reply.final.type === 'status' && reply.final.status === 'DELETED') count++;
  });
  return { type: 'dropped', count };
}

/** Every live item, key (UTF-8) and value. */
export async function allEntries(host: ControlHost): Promise<ControlReply> {
  const keys = await listKeys(host, undefined);
  const entries: [string, Uint8Array][] = [];
  await forEachWindow(keys, async (listed) => {
    const key = utf8(listed.key);
    const reply = await host.command(
      partitionOf(listed.hash),
      encodeCommand({ type: 'get', keys: [key] }),
      false,
    );
    const part = reply.parts[0];
    if (part?.type === 'value') entries.push([key, part.value.slice()]);
  });
  return { type: 'entries', entries };
}

/** The server's own metadump lines, as a worker's `metadump` control reply gives them. */
export async function metadumpLines(host: ControlHost): Promise<ControlReply> {
  await host.barrier();
  const lines: string[] = [];
  await dumpMetadata(host, (part) => {
    lines.push(
      `key=${uriEncode(part.key)} exp=${part.exptimeSec} la=${part.lastAccessSec} cas=${part.cas} ` +
        `fetch=${part.isFetched ? 'yes' : 'no'} cls=${part.slabClass} size=${part.sizeBytes}`,
    );
  });
  return { type: 'metadump', lines };
}

/**
 * Every key the server lists, with its ring hash, after a barrier (so it includes every write
 * sent before). Within one migration phase (`epoch`) the first listing serves every request.
 * Keys that break the key rule cannot be ours and are skipped; a key listed twice (memcached's
 * LRU walk may meet an item twice) is kept once.
 */
async function listKeys(
  host: ControlHost,
  epoch: number | undefined,
): Promise<readonly ListedKey[]> {
  const cached = host.listing;
  if (epoch !== undefined && cached?.epoch === epoch) return cached.keys;
  await host.barrier();
  const seen = new Set<string>();
  const keys: ListedKey[] = [];
  await dumpMetadata(host, (part) => {
    if (!isValidKeyBytes(part.key)) return;
    const text = utf8(part.key);
    if (seen.has(text)) return;
    seen.add(text);
    keys.push({ key: part.key, hash: hashBytes(part.key), exptimeSec: part.exptimeSec });
  });
  // Only the latest phase's listing is kept (an older phase is never asked for again), and not
  // for long: it holds every key of the node. Listing again is always correct, only slower.
  const listing = epoch === undefined ? undefined : { epoch, keys };
  host.listing = listing;
  if (listing !== undefined) {
    setTimeout(() => {
      if (host.listing === listing) host.listing = undefined;
    }, LISTING_KEEP_MS).unref();
  }
  return keys;
}

function inRange(keys: readonly ListedKey[], range: HashRange): ListedKey[] {
  return keys.filter((k) => isHashInRange(k.hash, range.fromExclusive, range.toInclusive));
}

/**
 * Streams `lru_crawler metadump` lines to `visit`. Asks for the `hash` walk first (every item
 * once, whatever LRU moves happen meanwhile) and falls back to `all` when the server does not
 * know it; retries with backoff while the crawler is BUSY.
 */
export async function dumpMetadata(
  host: ControlHost,
  visit: (part: MetadumpPart) => void,
): Promise<void> {
  let mode: 'hash' | 'all' = 'hash';
  for (let attempt = 0; ; attempt++) {
    const connection = new RemoteConnection(host.endpoint, host.connectionOptions, QUIET);
    const handler = new CollectingHandler(false, (part: ReplyPart) => {
      if (part.type === 'metadump') visit(part);
    });
    const line = new ByteWriter(64);
    line.ascii(`lru_crawler metadump ${mode}\r\n`);
    connection.send(line.take(), [handler]);
    let final: CommandReply['final'];
    try {
      final = (await handler.promise).final;
    } finally {
      connection.destroy(new NodeUnavailableError('metadump connection closed'));
    }
    if (final.type === 'end') return;
    const text = final.type === 'line' ? final.line : final.type === 'error' ? final.message : '';
    if (final.type === 'line' && text.startsWith('BUSY') && attempt < BUSY_RETRY_COUNT) {
      await new Promise((resolve) => setTimeout(resolve, backoffDelayMs(attempt, 20, 500)));
      continue;
    }
    if (mode === 'hash' && (final.type === 'error' || text.startsWith('BADCLASS'))) {
      mode = 'all';
      continue;
    }
    throw new NodeUnavailableError(`node ${host.id} cannot list its keys: ${final.type} ${text}`);
  }
}

/** The server's clock (`stats` time), to turn a metadump's absolute exp into a TTL. */
async function serverTimeSec(host: ControlHost): Promise<number> {
  const reply = await host.command(0, encodeCommand({ type: 'stats', group: undefined }), false);
  for (const part of reply.parts) {
    if (part.type === 'stat' && part.name === 'time') return Number(part.value);
  }
  return Math.floor(Date.now() / 1000);
}

interface FetchedItem {
  readonly flags: number;
  readonly ttlMs: number;
  readonly value: Uint8Array;
}

/** `mg <key> f t v\r\n`, the key's bytes as they are. */
function metaGet(key: Uint8Array): Uint8Array {
  const w = new ByteWriter(key.length + 16);
  w.ascii('mg ');
  w.bytes(key);
  w.ascii(' f t v\r\n');
  return w.take();
}

function fromMeta(reply: CommandReply): FetchedItem | undefined {
  const final = reply.final;
  if (final.type !== 'meta' || final.code !== 'VA' || final.value === undefined) return undefined;
  let flags = 0;
  let ttlMs = 0;
  for (const token of final.flags) {
    const n = Number(token.slice(1));
    if (!Number.isInteger(n)) continue;
    if (token.startsWith('f')) flags = n >>> 0;
    // -1 is "never" (0 for storage); a last partial second counts as one, never rounding down
    else if (token.startsWith('t')) ttlMs = n < 0 ? 0 : Math.max(n, 1) * 1000;
  }
  return { flags, ttlMs, value: final.value.slice() };
}

function fromGets(
  reply: CommandReply,
  listed: ListedKey,
  serverNowSec: number,
): FetchedItem | undefined {
  const part = reply.parts[0];
  if (part?.type !== 'value') return undefined;
  let ttlMs = 0;
  if (listed.exptimeSec >= 0) {
    const leftSec = listed.exptimeSec - serverNowSec;
    if (leftSec < 0) return undefined;
    ttlMs = Math.max(leftSec, 1) * 1000;
  }
  return { flags: part.flags, ttlMs, value: part.value.slice() };
}

/** Runs `task` on every item, `WINDOW` at a time (pipelined within a window). */
async function forEachWindow<T>(items: readonly T[], task: (item: T) => Promise<void>) {
  for (let i = 0; i < items.length; i += WINDOW) {
    await Promise.all(items.slice(i, i + WINDOW).map(task));
  }
}

function utf8(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8');
}

/** The listing connection's failures are its caller's to report, not the detector's. */
const QUIET = { onAnswer: () => {}, onBreak: () => {} };
