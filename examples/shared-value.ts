// Python's "Sharing state between processes: shared memory" example: a Value and an Array live in
// shared memory, a child writes them, the parent reads them (no message carries the data).
import { Process, Value, Array as SharedArray } from 'troupe/multiprocessing';
import { f } from './sharing-targets.js';

const num = new Value('d', 0.0);
const arr = new SharedArray('i', Array.from({ length: 10 }, (_, i) => i));

const p = new Process({ target: f, args: [num, arr] });
p.start();
await p.join();

console.log(num.value);
console.log(`[${arr.slice().join(', ')}]`);
