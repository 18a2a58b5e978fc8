import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ReplyPoller } from '../../../src/cluster/reply-poller.js';

describe('ReplyPoller', () => {
  it('spins while a batch is in flight and stops once it is answered', async () => {
    const poller = new ReplyPoller(1000);
    poller.sent();
    expect(poller.inFlight).toBe(1);
    expect(poller.isSpinning).toBe(true);
    await sleep(20);
    expect(poller.isSpinning).toBe(true);
    poller.settled();
    expect(poller.inFlight).toBe(0);
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(poller.isSpinning).toBe(false);
  });

  it('parks after spinMs even when a reply is still due', async () => {
    const poller = new ReplyPoller(5);
    poller.sent();
    await sleep(40);
    expect(poller.inFlight).toBe(1);
    expect(poller.isSpinning).toBe(false);
    // a new send spins again
    poller.sent();
    expect(poller.isSpinning).toBe(true);
    poller.settled();
    poller.settled();
    await sleep(5);
    expect(poller.isSpinning).toBe(false);
  });

  it('never spins with spinMs 0', async () => {
    const poller = new ReplyPoller(0);
    poller.sent();
    expect(poller.isSpinning).toBe(false);
    await sleep(5);
    expect(poller.isSpinning).toBe(false);
    poller.settled();
    expect(poller.inFlight).toBe(0);
  });
});
