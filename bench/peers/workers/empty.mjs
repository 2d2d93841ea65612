// new Worker start cost: report "ready" once the module body runs, then exit naturally.
import { parentPort } from 'node:worker_threads';
parentPort.postMessage(0);
