/**
 * CacheServer's lifecycle: listen errors, graceful close with requests in flight, the bound on a
 * close stalled by a client that does not read, and who closes the cache.
 */

import { createServer } from 'node:net';
import { describe, expect, test } from 'vitest';
import { DistributedCache } from '../../../src/cluster/distributed-cache.js';
import { CacheServer } from '../../../src/server/server.js';
import { bytes, connect, exchange, waitUntil } from '../../helpers/net.js';
import { startShardcache } from '../../helpers/shardcache.js';

describe('CacheServer', () => {
  test('listen on a port in use rejects with EADDRINUSE', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const address = blocker.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const cache = await DistributedCache.create({ servers: 1 });
    const server = new CacheServer(cache);
    try {
      await expect(server.listen(port, '127.0.0.1')).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      await server.close();
      await cache.close();
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  test('close() finishes requests in flight and writes their replies first', async () => {
    const running = await startShardcache();
    const value = 'v'.repeat(100 * 1024);
    await exchange(running.port, bytes(`set big 0 0 ${value.length}\r\n${value}\r\n`));
    const socket = await connect(running.port);
    const gets = 200;
    const reply = `VALUE big 0 ${value.length}\r\n${value}\r\nEND\r\n`.length;
    const received: Buffer[] = [];
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    const firstByte = new Promise<void>((resolve) => socket.once('data', () => resolve()));
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.write('get big\r\n'.repeat(gets));
    await firstByte;
    // Replies are still being produced and written: close now.
    await running.server.close();
    await closed;
    const total = Buffer.concat(received);
    expect(total.length).toBe(gets * reply);
    expect(running.server.connectionCount).toBe(0);
    // The server owned the cache: it is closed too.
    await expect(running.cache.get('big')).rejects.toMatchObject({ code: 'CLOSED' });
  });

  test('close() is bounded when a client never reads its replies', async () => {
    const cache = await DistributedCache.create({ servers: 1 });
    const server = new CacheServer(cache, { closeTimeoutMs: 300 });
    const { port } = await server.listen(0);
    const value = 'v'.repeat(512 * 1024);
    await exchange(port, bytes(`set big 0 0 ${value.length}\r\n${value}\r\n`));
    const socket = await connect(port);
    try {
      socket.pause();
      // 100 MB of replies: more than the loopback socket buffers absorb
      socket.write('get big\r\n'.repeat(200));
      await waitUntil(
        () => server.unsafeInternals().connections.some((c) => !c.isReading),
        'the server to stall on the client',
      );
      await server.close();
      expect(server.connectionCount).toBe(0);
      // A cache the server does not own stays open.
      expect(await cache.set('still', 'open')).toBe(true);
    } finally {
      socket.destroy();
      await cache.close();
    }
  });

  test('a closing server refuses new connections', async () => {
    const running = await startShardcache({ servers: 1, replicationFactor: 1 });
    await running.stop();
    await expect(connect(running.port, 2_000)).rejects.toThrow();
  });
});
