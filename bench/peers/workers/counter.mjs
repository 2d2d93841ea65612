// Counts messages from main (an array counts by its length) and answers 'done' after `expect` of them:
// the worker end of the one-way main → worker anchor.
import { parentPort } from 'node:worker_threads';
let expected = 0;
let seen = 0;
parentPort.on('message', (m) => {
  if (m && m.cmd === 'expect') {
    expected = m.n;
    seen = 0;
    parentPort.postMessage('ready');
    return;
  }
  if (m === 'exit') return parentPort.close();
  seen += Array.isArray(m) ? m.length : 1;
  if (seen === expected) parentPort.postMessage('done');
});
