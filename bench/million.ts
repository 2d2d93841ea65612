/**
 * The 1M-actors row of `npm run bench` (DESIGN §9: 1 M live actors in one process, spawned in
 * ≤ 30 s, ≤ 1 KB each; Erlang's default process limit is 1 M). Idle actors in main, spawned in
 * bursts of 10k, all alive at the end; memory is the heap growth per actor after a full GC.
 */
import { createSystem, type ActorRef } from 'troupe';
import { Idle } from './actors.js';
import { getGc, performance, progress } from './harness.js';

const COUNT = 1_000_000;
const BURST = 10_000;

/** { seconds to spawn 1M, bytes per live actor } */
export async function millionActors(): Promise<{ seconds: number; bytes: number }> {
  const system = await createSystem({ name: 'million', hosts: 1 });
  const gc = getGc();
  try {
    gc?.();
    const before = process.memoryUsage().heapUsed;
    const refs: ActorRef[] = new Array(COUNT);
    const t0 = performance.now();
    for (let i = 0; i < COUNT; i += BURST) {
      const burst = new Array<Promise<ActorRef>>(BURST);
      for (let j = 0; j < BURST; j++) burst[j] = system.spawn(Idle, { placement: 'main' });
      const spawned = await Promise.all(burst);
      for (let j = 0; j < BURST; j++) refs[i + j] = spawned[j]!;
    }
    const seconds = (performance.now() - t0) / 1000;
    gc?.();
    gc?.();
    const bytes = (process.memoryUsage().heapUsed - before) / COUNT;
    progress(`troupe:   1M actors: spawned in ${seconds.toFixed(1)} s, ${Math.round(bytes)} B each (${refs.length} refs held)`);
    return { seconds, bytes };
  } finally {
    await system.shutdown();
  }
}
