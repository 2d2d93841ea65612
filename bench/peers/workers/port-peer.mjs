// Worker-to-worker messaging peer over a MessageChannel port handed in by main.
// Commands from main (parentPort):
//   { cmd: 'port', port }            adopt the port (transferred)
//   { cmd: 'echo' }                  echo everything received on the port
//   { cmd: 'pingpong', n }           do n sequential round trips on the port,
//                                    reply { elapsedMs } to main (timed in-thread)
//   { cmd: 'expect', n }             count n items arriving on the port (arrays
//                                    count by length), reply 'done' to main
//   { cmd: 'send', n, batch }        send n numbers on the port, batched by `batch`
//                                    (batch <= 1: one postMessage per number)
//   { cmd: 'exit' }                  close everything so the thread exits
import { parentPort } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';

let port = null;
let onPort = null;

parentPort.on('message', (m) => {
  switch (m.cmd) {
    case 'port':
      port = m.port;
      port.on('message', (x) => onPort && onPort(x));
      parentPort.postMessage('ok');
      break;
    case 'echo':
      onPort = (x) => port.postMessage(x);
      parentPort.postMessage('ok');
      break;
    case 'pingpong': {
      const n = m.n;
      let i = 0;
      const t0 = performance.now();
      onPort = () => {
        if (++i < n) port.postMessage(i);
        else {
          onPort = null;
          parentPort.postMessage({ elapsedMs: performance.now() - t0 });
        }
      };
      port.postMessage(0);
      break;
    }
    case 'expect': {
      const n = m.n;
      let got = 0;
      onPort = (x) => {
        got += Array.isArray(x) ? x.length : 1;
        if (got >= n) {
          onPort = null;
          parentPort.postMessage('done');
        }
      };
      parentPort.postMessage('ok');
      break;
    }
    case 'send': {
      const { n, batch } = m;
      if (!batch || batch <= 1) {
        for (let i = 0; i < n; i++) port.postMessage(i);
      } else {
        for (let i = 0; i < n; i += batch) {
          const len = Math.min(batch, n - i);
          const a = new Array(len);
          for (let j = 0; j < len; j++) a[j] = i + j;
          port.postMessage(a);
        }
      }
      break;
    }
    case 'exit':
      onPort = null;
      if (port) port.close();
      parentPort.close();
      break;
  }
});
