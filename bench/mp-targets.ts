/**
 * Process targets of the multiprocessing bench rows (bench/queue.ts, bench/lock.ts), in a module
 * without side effects so workers can import it. Each mirrors a function of peers/mp_bench.py.
 */
import { task } from 'troupe';
import type { Barrier, Connection, Lock, Queue } from 'troupe/multiprocessing';
import { performance } from './harness.js';

/** Python's queue_producer: `count` ints, then None. */
export const queueProducer = task(async (q: Queue<number | null>, count: number) => {
  for (let i = 0; i < count; i++) await q.put(i);
  await q.put(null);
});

/** Python's pipe_echo: sends back everything it receives until None. */
export const pipeEcho = task(async (conn: Connection<number | null>) => {
  for (;;) {
    const x = await conn.recv();
    if (x === null) break;
    conn.send(x);
  }
});

/** ns per acquire()+release() of a free lock, measured in the process, sent back on `out`. */
export const lockUncontended = task(async (lock: Lock, count: number, out: Connection<number>) => {
  for (let i = 0; i < 10_000; i++) {
    await lock.acquire();
    lock.release();
  }
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    await lock.acquire();
    lock.release();
  }
  out.send(((performance.now() - t0) * 1e6) / count);
});

/** Python's lock_looper: once all are up (the barrier), `count` acquire/release of one lock. */
export const lockLooper = task(async (lock: Lock, count: number, ready: Barrier) => {
  await ready.wait();
  for (let i = 0; i < count; i++) {
    await lock.acquire();
    lock.release();
  }
});
