/** Baseline worker: answers every message with itself (a bare worker round trip). */
import { parentPort } from 'node:worker_threads';

parentPort?.on('message', (message: unknown) => parentPort?.postMessage(message));
