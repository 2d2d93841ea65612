// The tutorial's Lock example: four processes greet in turn, each holding the shared lock while it
// prints, so their lines never interleave. The lock travels to each process as an argument.
// Workers import this module to find the target, so the main part runs only in the main thread
// (Python's `if __name__ == '__main__':`), from a function: no top-level await, which would keep
// this module unfinished while the processes start.
import { isMainThread } from 'node:worker_threads';
import { task } from 'troupe';
import { Lock, Process } from 'troupe/multiprocessing';

export const displayName = task(async (lock: Lock, name: string) => {
  await lock.acquire();
  try {
    console.log('Hi', name);
  } finally {
    lock.release();
  }
});

async function main(): Promise<void> {
  const myLock = new Lock();
  const myNames = ['Aadrika', 'Adwaita', 'Sakya', 'Sanj'];
  const processes = myNames.map((name) => new Process({ target: displayName, args: [myLock, name] }));
  for (const p of processes) p.start();
  for (const p of processes) await p.join();
}

if (isMainThread) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
