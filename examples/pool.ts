// Pool, as in Python's docs: map a function over data on worker processes, collect results in
// order or as they complete, and keep going when a task fails or even kills its worker (where
// Python's pool would hang).
import { BrokenWorkerError, Pool, TimeoutError } from 'troupe/multiprocessing';

// Self-contained functions travel to the workers as source; a task() export may use its imports.
const f = (x: number) => x * x;
const slow = async (ms: number) => {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return ms;
};

await using pool = new Pool(4);

console.log('map:', await pool.map(f, [1, 2, 3, 4, 5, 6, 7, 8, 9]));

const done: number[] = [];
for await (const ms of pool.imapUnordered(slow, [300, 100, 200])) done.push(ms);
console.log('imapUnordered (first done first):', done);

const result = pool.applyAsync(slow, [400]);
try {
  await result.get(50);
} catch (error) {
  if (error instanceof TimeoutError) console.log('not ready after 50 ms; ready() =', result.ready());
}
console.log('get() =', await result.get());

try {
  await pool.apply((x: number) => JSON.parse(`{${x}`), [1]);
} catch (error) {
  const e = error as Error & { cause: { remoteStack: string } };
  console.log(`the task's ${e.name} came back: ${e.message}`);
}

try {
  await pool.apply(() => process.exit(1));
} catch (error) {
  if (error instanceof BrokenWorkerError) console.log('a task killed its worker:', error.message);
}
console.log('the pool goes on:', await pool.map(f, [10, 11, 12]));
