// Echo every message from the parent straight back (main <-> worker round trip peer).
import { parentPort } from 'node:worker_threads';
parentPort.on('message', (m) => {
  if (m === 'exit') parentPort.close();
  else parentPort.postMessage(m);
});
