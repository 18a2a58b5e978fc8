/**
 * shardcache as a replicating router, started from the CLI: three shardcache servers (each its
 * own process) are the remote nodes of a router (`--servers …, --replication 2`), and the npm
 * `memcached` client talks to the router. One server is SIGKILLed mid-run: reads and writes keep
 * succeeding through the router, and every acknowledged write reads back.
 */

import Memcached from 'memcached';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type ServerProcess, startShardcacheCli } from '../../../bench/load/processes.js';

const servers: ServerProcess[] = [];
let router: ServerProcess;
let client: Memcached;

beforeAll(async () => {
  for (let i = 0; i < 3; i++)
    servers.push(await startShardcacheCli(['-t', '1', '--replication', '1']));
  const list = servers.map((s) => `127.0.0.1:${s.port}`).join(',');
  router = await startShardcacheCli(['--servers', list, '--replication', '2']);
  client = new Memcached(`127.0.0.1:${router.port}`, { timeout: 5_000, poolSize: 4, retries: 2 });
});

afterAll(async () => {
  client?.end();
  await Promise.all([router?.stop(), ...servers.map((s) => s.stop())]);
});

function set(key: string, value: string): Promise<void> {
  return new Promise((resolve, reject) =>
    client.set(key, value, 0, (err) => (err ? reject(err) : resolve())),
  );
}

function get(key: string): Promise<unknown> {
  return new Promise((resolve, reject) =>
    client.get(key, (err, data) => (err ? reject(err) : resolve(data))),
  );
}

describe('a router over three shardcache servers (CLI --servers)', () => {
  test('serves reads and writes while one server is killed', async () => {
    const keys = Array.from({ length: 400 }, (_, i) => `route:${i}`);
    const acked = new Map<string, string>();
    for (const key of keys) {
      await set(key, `v0:${key}`);
      acked.set(key, `v0:${key}`);
    }
    let failedReads = 0;
    let failedWrites = 0;
    const victim = servers[1]!;
    for (let round = 0; round < 6; round++) {
      if (round === 2) process.kill(victim.pid, 'SIGKILL');
      await Promise.all(
        keys.map(async (key, i) => {
          if (i % 5 === round % 5) {
            const value = `v${round}:${key}`;
            try {
              await set(key, value);
              acked.set(key, value);
            } catch {
              failedWrites++;
            }
          } else {
            try {
              if ((await get(key)) !== acked.get(key)) failedReads++;
            } catch {
              failedReads++;
            }
          }
        }),
      );
    }
    expect(failedReads).toBe(0);
    expect(failedWrites).toBe(0);
    const values = await Promise.all(keys.map(get));
    expect(values).toEqual(keys.map((k) => acked.get(k)));
  });
});
