/**
 * Process targets of the shared-state bench rows (bench/shared-state.ts), in a module without
 * side effects so workers can import it.
 */
import { task } from 'troupe';
import type { Barrier, DictProxy, Value } from 'troupe/multiprocessing';
import { performance } from './harness.js';

/** One process's share: once all are up (the barrier), `count` increments, each under the value's lock. */
export const incrementLoop = task(async (counter: Value, count: number, ready: Barrier) => {
  const lock = counter.getLock();
  await ready.wait();
  for (let i = 0; i < count; i++) {
    await lock.acquire();
    counter.value += 1;
    lock.release();
  }
});

/** `d[i] = i; d[i]` for i < count; resolves ops/s (two round trips per i). */
export async function dictRoundTrips(d: DictProxy<number, number>, count: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    await d.set(i, i);
    await d.get(i);
  }
  return (2 * count) / ((performance.now() - t0) / 1e3);
}

/** The same loop inside a Process, which reports its rate through a shared Value. */
export const dictRoundTripsInProcess = task(async (d: DictProxy<number, number>, count: number, rate: Value<number>) => {
  rate.value = await dictRoundTrips(d, count);
});

