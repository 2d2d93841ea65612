// Python's shared_memory example: a block made here, attached by name in a child process (no
// handle passed, only its name), read and written by both, then closed and unlinked.
import { Process } from 'troupe/multiprocessing';
import { SharedMemory } from 'troupe/multiprocessing/shared_memory';
import { readBlock } from './sharing-targets.js';

const shmA = new SharedMemory({ create: true, size: 10 });
shmA.buf.set([22, 33, 44, 55]);

const p = new Process({ target: readBlock, args: [shmA.name, 4] });
p.start();
await p.join();

console.log(`parent sees ${JSON.stringify([...shmA.buf.subarray(0, 5)])}`);
shmA.close();
shmA.unlink();
