// Python's "Customized managers" example: a class registered with a manager, used through a
// proxy whose methods run in the manager (one call at a time) and return Promises.
import { Manager, Process } from 'troupe/multiprocessing';
import { MathsClass, useMaths } from './sharing-targets.js';

await using manager = await Manager();
manager.register('Maths', MathsClass);

const maths = await manager.create<MathsClass>('Maths');
console.log(await maths.add(4, 3)); // prints 7
console.log(await maths.mul(7, 8)); // prints 56

// the proxy travels to a child process like any handle
const p = new Process({ target: useMaths, args: [maths] });
p.start();
await p.join();
