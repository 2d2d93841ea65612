// The tutorial's first example: a process that prints a greeting.
import { Process } from 'troupe/multiprocessing';

function display() {
  console.log('Hi !! I am Python');
}

const p = new Process({ target: display });
p.start();
await p.join();
