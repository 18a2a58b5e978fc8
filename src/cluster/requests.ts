/**
 * One object per logical request, holding its promise callbacks and what failover needs (the
 * replica list and where it is in it). They implement the dispatcher's OpHandler, so a reply or
 * a node failure lands straight on the request.
 */

import { NodeUnavailableError } from '../errors.js';
import type { BatchReader } from './batch-format.js';
import { Status } from './batch-format.js';
import {
  type NodeLink,
  type NumberReply,
  type OpHandler,
  readNumber,
  readValue,
  readValueBytes,
  type ValueReply,
} from './dispatcher.js';

/** What a request needs from the cluster to retry or replicate. */
export interface RequestHost {
  /** Encodes `key` into the shared scratch buffer and returns its byte length. */
  encodeKey(key: string): number;
  readonly keyScratch: Uint8Array;
}

/** A read: served by the first readable replica, retried on the next when a node fails. */
export class ReadRequest implements OpHandler {
  readonly #host: RequestHost;
  readonly #key: string;
  readonly #partition: number;
  readonly #replicas: readonly NodeLink[];
  #index = 0;
  readonly #gatTtlMs: number | undefined;
  /** Resolve with the value bytes alone (`get`) rather than value, flags and CAS (`gets`). */
  readonly #isValueOnly: boolean;
  readonly #resolve: (value: ValueReply | Uint8Array | undefined) => void;
  readonly #reject: (err: Error) => void;

  constructor(
    host: RequestHost,
    key: string,
    partition: number,
    replicas: readonly NodeLink[],
    gatTtlMs: number | undefined,
    isValueOnly: boolean,
    resolve: (value: ValueReply | Uint8Array | undefined) => void,
    reject: (err: Error) => void,
  ) {
    this.#isValueOnly = isValueOnly;
    this.#host = host;
    this.#key = key;
    this.#partition = partition;
    this.#replicas = replicas;
    this.#gatTtlMs = gatTtlMs;
    this.#resolve = resolve;
    this.#reject = reject;
  }

  /** Sends to the next readable replica, or fails when none is left. */
  send(): void {
    while (this.#index < this.#replicas.length) {
      const link = this.#replicas[this.#index]!;
      if (link.isReadable) {
        const length = this.#host.encodeKey(this.#key);
        if (this.#gatTtlMs === undefined)
          link.addGet(this.#host.keyScratch, length, this.#partition, this);
        else link.addGat(this.#host.keyScratch, length, this.#partition, this.#gatTtlMs, this);
        return;
      }
      this.#index++;
    }
    this.#reject(new NodeUnavailableError(`no replica of ${this.#key} is available`));
  }

  onReply(status: number, r: BatchReader): void {
    if (status !== Status.VALUE) this.#resolve(undefined);
    else if (this.#isValueOnly) this.#resolve(readValueBytes(r));
    else this.#resolve(readValue(r));
  }

  onFail(err: Error): void {
    if (err instanceof NodeUnavailableError) {
      this.#index++;
      this.send();
      return;
    }
    this.#reject(err);
  }
}

/**
 * A write applied on several replicas; settles when every replica it went to has answered or
 * died, with the first replica's outcome (the primary's). Fails only if no replica applied it.
 */
export class WriteRequest implements OpHandler {
  #left: number;
  #applied = 0;
  #firstStatus = -1;
  #firstError: Error | undefined;
  readonly #resolve: (status: number) => void;
  readonly #reject: (err: Error) => void;

  constructor(
    replicaCount: number,
    resolve: (status: number) => void,
    reject: (err: Error) => void,
  ) {
    this.#left = replicaCount;
    this.#resolve = resolve;
    this.#reject = reject;
  }

  onReply(status: number, _r: BatchReader): void {
    if (this.#firstStatus < 0) this.#firstStatus = status;
    this.#applied++;
    this.#settleIfDone();
  }

  onFail(err: Error): void {
    // a node that died takes its copy with it; any other error is the command's own outcome
    if (!(err instanceof NodeUnavailableError)) this.#firstError ??= err;
    this.#settleIfDone();
  }

  #settleIfDone(): void {
    if (--this.#left > 0) return;
    if (this.#firstError) this.#reject(this.#firstError);
    else if (this.#applied === 0)
      this.#reject(new NodeUnavailableError('no replica applied the write'));
    else this.#resolve(this.#firstStatus);
  }
}

/** The outcome of a command run on the primary first (incr/decr, conditional stores). */
export type PrimaryOutcome =
  | { readonly status: number; readonly number?: NumberReply }
  | { readonly error: Error };

/**
 * A command the primary computes alone; the caller replicates its result. Retried on the next
 * replica if the primary dies before answering (its effect died with it).
 */
export class PrimaryRequest implements OpHandler {
  readonly #replicas: readonly NodeLink[];
  #index = 0;
  readonly #sendTo: (link: NodeLink, handler: OpHandler) => void;
  readonly #done: (outcome: PrimaryOutcome, primary: NodeLink | undefined) => void;

  constructor(
    replicas: readonly NodeLink[],
    sendTo: (link: NodeLink, handler: OpHandler) => void,
    done: (outcome: PrimaryOutcome, primary: NodeLink | undefined) => void,
  ) {
    this.#replicas = replicas;
    this.#sendTo = sendTo;
    this.#done = done;
  }

  get primary(): NodeLink | undefined {
    return this.#replicas[this.#index];
  }

  send(): void {
    while (this.#index < this.#replicas.length) {
      const link = this.#replicas[this.#index]!;
      if (link.isReadable) {
        this.#sendTo(link, this);
        return;
      }
      this.#index++;
    }
    this.#done({ error: new NodeUnavailableError('no replica is available') }, undefined);
  }

  onReply(status: number, r: BatchReader): void {
    const number = status === Status.NUMBER ? readNumber(r) : undefined;
    this.#done(number ? { status, number } : { status }, this.primary);
  }

  onFail(err: Error): void {
    if (err instanceof NodeUnavailableError) {
      this.#index++;
      this.send();
      return;
    }
    this.#done({ error: err }, this.primary);
  }
}
