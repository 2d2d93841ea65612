// The tutorial's Queue example: the child puts the even numbers, the parent prints them. The
// tutorial's `while q:` never ends (a queue object is always truthy); here we drain until empty.
// As in examples/pipe.ts, the main part runs in the main thread only, without top-level await.
import { isMainThread } from 'node:worker_threads';
import { task } from 'troupe';
import { Process, Queue } from 'troupe/multiprocessing';

export const evenno = task(async (numbers: number[], q: Queue<number>) => {
  for (const n of numbers) if (n % 2 === 0) await q.put(n);
});

async function main(): Promise<void> {
  const q = new Queue<number>();
  const p = new Process({ target: evenno, args: [Array.from({ length: 10 }, (_, i) => i), q] });
  p.start();
  // Items live in the main thread, so joining the producer first never deadlocks (unlike Python).
  await p.join();
  while (!q.empty()) console.log(await q.get());
}

if (isMainThread) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
