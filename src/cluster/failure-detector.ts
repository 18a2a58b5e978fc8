/**
 * Failure detection for remote nodes, in the style of mcrouter's TKO ("technical knockout"):
 * a node is knocked out after a run of consecutive failures, not after one, so a single slow
 * reply or a dropped idle connection does not cost a full refill; any answer in between resets
 * the run. Some failures are fatal at once: when a write may not have reached the node, it may
 * now hold an older value than its replicas, and it must not serve a read before it has been
 * emptied and refilled.
 *
 * Revival is the other half: a knocked-out node is probed with exponential backoff
 * (`backoffDelayMs`, `probeEndpoint`) until it answers again.
 */

import { NodeUnavailableError } from '../errors.js';
import { encodeCommand } from '../protocol/encoder.js';
import {
  CollectingHandler,
  type ConnectionOptions,
  type Endpoint,
  RemoteConnection,
} from './remote-connection.js';

/** Consecutive soft failures that knock a node out, by default (mcrouter's default is 3). */
export const DEFAULT_FAILURE_THRESHOLD = 3;

/** Counts failures; says when a node must be declared dead. Pure state, no timers. */
export class FailureDetector {
  readonly #threshold: number;
  #consecutive = 0;
  #isTripped = false;

  /** `threshold`: consecutive soft failures that trip the detector (at least 1). */
  constructor(threshold = DEFAULT_FAILURE_THRESHOLD) {
    if (!Number.isInteger(threshold) || threshold < 1) {
      throw new RangeError('failure threshold must be a positive integer');
    }
    this.#threshold = threshold;
  }

  /** Soft failures in the current run. */
  get consecutiveFailures(): number {
    return this.#consecutive;
  }

  /** True once a failure tripped it; it stays tripped (a revived node gets a new detector). */
  get isTripped(): boolean {
    return this.#isTripped;
  }

  /** An answer from the node: the run of failures is over. */
  recordSuccess(): void {
    this.#consecutive = 0;
  }

  /**
   * A timeout, a refused or lost connection, a garbled reply. `isFatal` when a write may have
   * been lost (see the module comment). Returns true when this failure trips the detector (once).
   */
  recordFailure(isFatal = false): boolean {
    if (this.#isTripped) return false;
    this.#consecutive++;
    if (isFatal || this.#consecutive >= this.#threshold) {
      this.#isTripped = true;
      return true;
    }
    return false;
  }
}

/**
 * The wait before probe `attempt` (0-based): `minMs × 2^attempt`, capped at `maxMs`. No jitter:
 * one cluster probes each dead node from one place, so there is no herd to spread.
 */
export function backoffDelayMs(attempt: number, minMs: number, maxMs: number): number {
  return Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
}

/** Waits `ms`, or less when `signal` aborts (it never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * One revival probe: `version` on a fresh connection, bounded by the connection's timeouts.
 * True when the server answered it.
 */
export async function probeEndpoint(
  endpoint: Endpoint,
  options: ConnectionOptions,
): Promise<boolean> {
  const connection = new RemoteConnection(endpoint, options, {
    onAnswer: () => {},
    onBreak: () => {},
  });
  const handler = new CollectingHandler(false);
  connection.send(encodeCommand({ type: 'version' }), [handler]);
  try {
    return (await handler.promise).final.type === 'version';
  } catch {
    return false;
  } finally {
    connection.destroy(new NodeUnavailableError('probe done'));
  }
}
