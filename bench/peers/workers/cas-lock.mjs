// A raw lock on one Int32 word: acquire = compareExchange 0 → 1, release = store 0 (uncontended,
// the limit a troupe Lock in a worker is compared with). Answers ns per acquire+release.
import { parentPort } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
const word = new Int32Array(new SharedArrayBuffer(4));
parentPort.on('message', (n) => {
  if (n === 'exit') return parentPort.close();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    while (Atomics.compareExchange(word, 0, 0, 1) !== 0);
    Atomics.store(word, 0, 0);
  }
  parentPort.postMessage(((performance.now() - t0) * 1e6) / n);
});
