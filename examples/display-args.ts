// Passing arguments to the target with `args`.
import { Process } from 'troupe/multiprocessing';

function display(myName: string) {
  console.log('Hi !!!' + ' ' + myName);
}

const p = new Process({ target: display, args: ['Python'] });
p.start();
await p.join();
