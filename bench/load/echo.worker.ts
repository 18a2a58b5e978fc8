/** Floor worker: answers every message with itself, in order (a bare worker round trip). */
import { parentPort } from 'node:worker_threads';

parentPort?.on('message', (message: unknown) => parentPort?.postMessage(message));
