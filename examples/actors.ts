// The actor door: a counter actor on a pooled worker, addressed by name, asked with a timeout.
import { createSystem } from 'troupe';
import { Counter } from './counter.js';

const system = await createSystem();
const counter = await system.spawn(Counter, { args: [5], name: 'counter' });
counter.send({ type: 'inc', by: 2 });
console.log('counter =', await counter.ask({ type: 'get' }, { timeout: 1000 }));
console.log('by name =', await system.get('counter')!.ask({ type: 'get' }));
await system.shutdown();
