// The tutorial's Queue example: the child puts the even numbers, the parent prints them. The
// tutorial's `while q:` never ends (a queue object is always truthy); here we drain until empty.
import { Process, Queue } from 'troupe/multiprocessing';

// Self-contained, so it travels to the worker as source (a task() export could use imports).
async function evenno(numbers: number[], q: Queue<number>): Promise<void> {
  for (const n of numbers) if (n % 2 === 0) await q.put(n);
}

const q = new Queue<number>();
const p = new Process({ target: evenno, args: [Array.from({ length: 10 }, (_, i) => i), q] });
p.start();
// Items live in the main thread, so joining the producer before reading never deadlocks (in
// Python it may, while the child's feeder thread still holds items).
await p.join();
while (!q.empty()) console.log(await q.get());
