// Two processes at once: one prints cubes while the other checks for even numbers.
import { Process } from 'troupe/multiprocessing';
import { cube, evenno, myNumbers } from './targets.js';

const process1 = new Process({ target: cube, args: [myNumbers] });
const process2 = new Process({ target: evenno, args: [myNumbers] });
process1.start();
process2.start();
await process1.join();
await process2.join();
console.log('Done');
