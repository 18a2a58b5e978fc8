/**
 * How a write reaches the replicas of its key: to every writable replica at once (set, delete,
 * touch), or primary first (incr/decr and the conditional stores), with the key gated until the
 * primary's outcome has been copied to the others, so that replicas apply a key's writes in one
 * order. During a migration the rebalancer's write replicas cover both rings, and it notes each
 * written key so that the copy it runs does not overwrite a newer value.
 */

import { NodeUnavailableError } from '../errors.js';
import type { NodeLink, NumberReply, OpHandler } from './dispatcher.js';
import type { KeyGates } from './key-gates.js';
import type { Rebalancer } from './rebalance.js';
import { PrimaryRequest, WriteRequest } from './requests.js';

export type AddOp = (link: NodeLink, handler: OpHandler) => void;

export class ReplicatedWrites {
  readonly #rebalancer: Rebalancer;
  readonly #gates: KeyGates;

  constructor(rebalancer: Rebalancer, gates: KeyGates) {
    this.#rebalancer = rebalancer;
    this.#gates = gates;
  }

  /**
   * Sends to every writable replica once `key`'s gate is open (after any primary-first write
   * on it); settles with the first replica's status.
   */
  writeAll(key: string, hash: bigint, add: AddOp, isDelete = false): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#gates.whenOpen(
        key,
        () => {
          const replicas = this.#rebalancer.writeReplicas(hash);
          if (replicas.length === 0) {
            reject(new NodeUnavailableError(`no replica of ${key} is available`));
            return;
          }
          if (isDelete) this.#rebalancer.noteDelete(key);
          else this.#rebalancer.noteWrite(key);
          const request = new WriteRequest(replicas.length, resolve, reject);
          for (const link of replicas) add(link, request);
        },
        reject,
      );
    });
  }

  /** Copies a primary's result to the other writable replicas (fire and forget: best effort). */
  writeOthers(hash: bigint, primary: NodeLink | undefined, add: AddOp): void {
    const others = this.#rebalancer.writeReplicas(hash).filter((link) => link !== primary);
    if (others.length === 0) return;
    const request = new WriteRequest(others.length, ignore, ignore);
    for (const link of others) add(link, request);
  }

  /**
   * Once `key`'s gate is open, runs a command on the primary with the key gated, lets
   * `replicate` copy its outcome (in the same tick, before any held-back write), then releases
   * the gate.
   */
  primaryFirst(
    key: string,
    hash: bigint,
    add: AddOp,
    replicate: (status: number, primary: NodeLink | undefined, number?: NumberReply) => void,
  ): Promise<{ status: number; number?: NumberReply }> {
    return new Promise((resolve, reject) => {
      this.#gates.whenOpen(
        key,
        () => {
          this.#gates.close(key);
          this.#rebalancer.noteWrite(key);
          const replicas = this.#rebalancer.readReplicas(hash);
          new PrimaryRequest(replicas, add, (outcome, primary) => {
            if ('error' in outcome) reject(outcome.error);
            else {
              replicate(outcome.status, primary, outcome.number);
              resolve(outcome);
            }
            this.#gates.release(key);
          }).send();
        },
        reject,
      );
    });
  }
}

function ignore(): void {}
