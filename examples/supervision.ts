// A supervision fault demo: a one_for_one supervisor keeps a named counter alive through a crash
// and through the death of the worker thread it runs on. Every start, exit and restart is an event.
import { createSystem } from 'troupe';
import { killHost, waitForRestart } from 'troupe/testing';
import { Counter } from './counter.js';

const system = await createSystem({ hosts: 2 });
const sup = await system.supervise({
  name: 'demo',
  strategy: 'one_for_one',
  intensity: 3,
  period: 5000,
  children: [{ id: 'counter', start: Counter, args: [0], name: 'counter' }],
});
sup.on('event', (e) => console.log(`event: ${e.type} ${e.id ?? ''} ${e.reason ? `(${e.reason.kind})` : ''}`));

system.get('counter')!.send({ type: 'inc', by: 2 });
console.log('counter =', await system.get('counter')!.ask({ type: 'get' }, { timeout: 1000 }));

// A crash: the supervisor restarts the child from init, under the same registered name.
let restarted = waitForRestart(sup, 'counter', { timeout: 5000 });
system.get('counter')!.send({ type: 'crash' });
await restarted;
console.log('after a crash, counter =', await system.get('counter')!.ask({ type: 'get' }, { timeout: 1000 }));

// The worker thread dies: the child is placed on a live worker.
restarted = waitForRestart(sup, 'counter', { timeout: 10_000 });
await killHost(system.get('counter')!);
await restarted;
console.log('after its worker died, counter =', await system.get('counter')!.ask({ type: 'get' }, { timeout: 1000 }));
console.log('children:', (await sup.whichChildren()).map((row) => `${row.id}=${typeof row.pid === 'object' && row.pid ? 'running' : row.pid}`).join(', '));
await system.shutdown();
