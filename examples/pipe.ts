// The tutorial's Pipe example: the child sends a list through its end of the pipe and closes it;
// the parent receives it. Workers import this module to find the target, so the main part runs
// only in the main thread (Python's `if __name__ == '__main__':`), from a function: no top-level
// await, which would keep this module unfinished while the process starts.
import { isMainThread } from 'node:worker_threads';
import { task } from 'troupe';
import { Pipe, Process, type Connection } from 'troupe/multiprocessing';

export const myfunction = task((conn: Connection<string[]>) => {
  conn.send(['hi!! I am Python']);
  conn.close();
});

async function main(): Promise<void> {
  const [parentConn, childConn] = Pipe<string[]>();
  const p = new Process({ target: myfunction, args: [childConn] });
  p.start();
  console.log(await parentConn.recv());
  await p.join();
}

if (isMainThread) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
