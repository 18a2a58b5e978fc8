/**
 * Protocol codec throughput: `CommandDecoder` over pipelined memcached traffic (90% `get <key>`,
 * 10% `set <key> 0 0 100` with 100-byte values, keys like "key:00012345") fed in 16 KiB and
 * 1 KiB chunks, and `encodeResponse` writing `VALUE` replies for 100-byte hits.
 */
import { Bench, type Task } from 'tinybench';
import { ByteWriter } from '../../src/protocol/byte-writer.js';
import type { CacheResponse } from '../../src/protocol/commands.js';
import { CommandDecoder } from '../../src/protocol/decoder.js';
import { encodeResponse } from '../../src/protocol/encoder.js';
import type { BenchTable } from '../fixtures/bench-table.js';
import { seededRandom } from '../fixtures/zipf.js';

const COMMAND_COUNT = 50_000;
const KEY_SPACE = 100_000;
const VALUE_BYTES = 100;
const SET_SHARE = 0.1;
const REPLY_COUNT = 10_000;

interface Traffic {
  readonly bytes: Uint8Array;
  readonly getCount: number;
  readonly setCount: number;
}

/** The pipelined request stream, built once before timing (seeded: the same every run). */
function makeTraffic(): Traffic {
  const random = seededRandom(42);
  const value = 'v'.repeat(VALUE_BYTES - 2);
  let text = '';
  let setCount = 0;
  for (let i = 0; i < COMMAND_COUNT; i++) {
    const key = `key:${String(Math.floor(random() * KEY_SPACE)).padStart(8, '0')}`;
    if (random() < SET_SHARE) {
      // CR LF inside the value, as binary data may have.
      text += `set ${key} 0 0 ${VALUE_BYTES}\r\n${value}\r\n\r\n`;
      setCount++;
    } else {
      text += `get ${key}\r\n`;
    }
  }
  return { bytes: new TextEncoder().encode(text), getCount: COMMAND_COUNT - setCount, setCount };
}

function chunked(bytes: Uint8Array, chunkBytes: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += chunkBytes) chunks.push(bytes.subarray(i, i + chunkBytes));
  return chunks;
}

/** Decodes every chunk; returns commands decoded (values' lengths are summed to use them). */
function decodeAll(chunks: readonly Uint8Array[]): {
  commands: number;
  gets: number;
  valueBytes: number;
} {
  const decoder = new CommandDecoder();
  let commands = 0;
  let gets = 0;
  let valueBytes = 0;
  for (const chunk of chunks) {
    decoder.push(chunk);
    for (let r = decoder.next(); r !== undefined; r = decoder.next()) {
      commands++;
      if (r.type === 'get') gets++;
      else if (r.type === 'set') valueBytes += r.value.length;
      else throw new Error(`unexpected ${r.type} while decoding the bench traffic`);
    }
  }
  return { commands, gets, valueBytes };
}

/** Refuses to time a decoder that gets the traffic wrong, whatever the chunking. */
function checkDecoder(traffic: Traffic, chunks: readonly Uint8Array[]): void {
  const { commands, gets, valueBytes } = decodeAll(chunks);
  if (commands !== COMMAND_COUNT || gets !== traffic.getCount) {
    throw new Error(`decoded ${commands} commands (${gets} gets), expected ${COMMAND_COUNT}`);
  }
  if (valueBytes !== traffic.setCount * VALUE_BYTES) throw new Error('set values decoded wrong');
}

function makeReplies(): CacheResponse[] {
  const value = new Uint8Array(VALUE_BYTES).fill(0x76);
  return Array.from({ length: REPLY_COUNT }, (_, i) => ({
    type: 'values',
    items: [{ key: `key:${String(i).padStart(8, '0')}`, flags: 0, value }],
  }));
}

function checkEncoder(replies: readonly CacheResponse[]): number {
  const first = Buffer.from(encodeResponse(replies[0]!)).toString('latin1');
  const expected = `VALUE key:00000000 0 ${VALUE_BYTES}\r\n${'v'.repeat(VALUE_BYTES)}\r\nEND\r\n`;
  if (first !== expected) throw new Error(`encoder wrote ${JSON.stringify(first)}`);
  return first.length;
}

function medianMs(task: Task): number {
  const result = task.result;
  if (result.state !== 'completed') throw new Error(`bench task ${task.name}: ${result.state}`);
  // Median of the per-call samples: robust to a GC pause landing in one call.
  return result.latency.p50;
}

export async function benchDecoder(timeMs = 1000): Promise<BenchTable> {
  const traffic = makeTraffic();
  const chunks16k = chunked(traffic.bytes, 16 * 1024);
  const chunks1k = chunked(traffic.bytes, 1024);
  checkDecoder(traffic, chunks16k);
  checkDecoder(traffic, chunks1k);
  checkDecoder(traffic, [traffic.bytes]);
  const replies = makeReplies();
  const replyBytes = checkEncoder(replies);

  const bench = new Bench({ name: 'decoder', time: timeMs, warmupTime: Math.min(300, timeMs) });
  let sink = 0;
  // name → [bytes per call, operations per call]
  const sizes = new Map<string, readonly [number, number]>();
  const add = (name: string, bytes: number, ops: number, fn: () => void) => {
    sizes.set(name, [bytes, ops]);
    bench.add(name, fn);
  };

  add('decode, 16 KiB chunks', traffic.bytes.length, COMMAND_COUNT, () => {
    sink += decodeAll(chunks16k).commands;
  });
  add('decode, 1 KiB chunks', traffic.bytes.length, COMMAND_COUNT, () => {
    sink += decodeAll(chunks1k).commands;
  });
  add('encode VALUE replies into one ByteWriter', replyBytes * REPLY_COUNT, REPLY_COUNT, () => {
    const writer = new ByteWriter(64 * 1024);
    for (const reply of replies) {
      encodeResponse(reply, writer);
      // A server takes what one read's replies wrote, then writes it to the socket.
      if (writer.length >= 16 * 1024) sink += writer.take().length;
    }
    sink += writer.take().length;
  });
  add('encode VALUE replies, one array each', replyBytes * REPLY_COUNT, REPLY_COUNT, () => {
    for (const reply of replies) sink += encodeResponse(reply).length;
  });

  await bench.run();
  if (!Number.isFinite(sink)) throw new Error('unreachable: keeps results observable');

  const rows = bench.tasks.map((task) => {
    const ms = medianMs(task);
    const [bytes, ops] = sizes.get(task.name)!;
    return {
      name: task.name,
      'ops/s': Math.round((ops / ms) * 1000),
      'MB/s': Number((bytes / 1e6 / (ms / 1000)).toFixed(1)),
    };
  });
  const mb = (traffic.bytes.length / 1e6).toFixed(2);
  return {
    title: `Protocol codec (${COMMAND_COUNT.toLocaleString('en')} pipelined commands, ${mb} MB; 1 op = 1 command or reply)`,
    rows,
    notes: [
      `Traffic: ${traffic.getCount} get + ${traffic.setCount} set (${VALUE_BYTES}-byte values), keys key:00000000-key:${KEY_SPACE - 1}, seeded.`,
      'Each timed call decodes the whole stream with a fresh decoder (or encodes every reply); figures use the median call. MB = 10^6 bytes.',
    ],
  };
}
