// The tutorial's cube example. Its Python version forgot the parentheses on `p.join`, so "Done"
// printed first; here join() is awaited and "Done" comes last.
import { Process } from 'troupe/multiprocessing';
import { cube, myNumbers } from './targets.js';

const p = new Process({ target: cube, args: [myNumbers] });
p.start();
await p.join();
console.log('Done');
