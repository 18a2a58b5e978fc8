/**
 * Worker entry of a cache node (run by piscina, one thread per node). Thin: it builds the node's
 * storage from workerData and serves the port it is handed; the logic is in src/cluster.
 */
import type { MessagePort } from 'node:worker_threads';
import { workerData } from 'piscina';
import type { AttachTask, ControlRequest, NodeWorkerData } from '../src/cluster/messages.js';
import { NodeService } from '../src/cluster/node-service.js';
import { placeLength, placeOffset } from '../src/cluster/request-ring.js';
import { CacheNode } from '../src/storage/cache-node.js';
import type { EvictionPolicy } from '../src/types.js';

const data = workerData as NodeWorkerData;
const service = new NodeService(
  new CacheNode(data.maxMemory, data.policy as EvictionPolicy, {
    maxItemBytes: data.maxItemBytes,
    defaultTtlMs: data.defaultTtlMs,
  }),
  data.counters,
  data.counterSlot,
);
// the bounded active expiry sweep: expired items go even if nobody reads them
setInterval(() => service.sweep(1024), data.sweepIntervalMs).unref();

function serve(port: MessagePort, requests: SharedArrayBuffer): void {
  port.on('message', (message: number | ArrayBuffer | ControlRequest) => {
    if (typeof message === 'number') {
      // a batch in the request ring, read in place (request-ring.ts)
      const reply = service.applyBatch(requests, placeOffset(message), placeLength(message));
      port.postMessage(reply, [reply]);
      return;
    }
    if (message instanceof ArrayBuffer) {
      const reply = service.applyBatch(message);
      port.postMessage(reply, [reply]);
      return;
    }
    const reply = service.control(message);
    port.postMessage(reply, reply.type === 'exported' ? [reply.batch] : []);
  });
}

export default function handle(task: AttachTask): string {
  serve(task.port, task.requests);
  return 'attached';
}
