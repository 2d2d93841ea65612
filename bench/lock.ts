/**
 * Lock rows of `npm run bench` (called by bench/troupe-rows.ts), mirroring bench/peers/mp_bench.py
 * with real Processes: uncontended acquire+release inside a Process (ns), and two Processes
 * looping acquire/release on one Lock from a barrier to the last join (acquisitions/s).
 */
import { Barrier, Lock, Pipe, Process } from 'troupe/multiprocessing';
import { measure, performance } from './harness.js';
import { lockLooper, lockUncontended as uncontendedLoop } from './mp-targets.js';

const UNCONTENDED = 1_000_000;
const LOOP = 200_000;

/** ns per awaited acquire()+release() of a free Lock in a Process (anchor: a raw CAS lock in a worker). */
export async function lockUncontended(): Promise<number> {
  return measure(async () => {
    const [reader, writer] = Pipe<number>(false);
    const p = new Process({ target: uncontendedLoop, args: [new Lock(), UNCONTENDED, writer] });
    p.start();
    writer.close();
    const ns = await reader.recv();
    await p.join();
    return ns;
  });
}

/** acquisitions/s: two Processes looping acquire/release on one Lock (peer: Python, same loop). */
export async function lockLoop(): Promise<number> {
  return measure(async () => {
    const lock = new Lock();
    const ready = new Barrier(3);
    const procs = [0, 1].map(() => new Process({ target: lockLooper, args: [lock, LOOP, ready] }));
    for (const p of procs) p.start();
    await ready.wait();
    const t0 = performance.now();
    for (const p of procs) await p.join();
    const seconds = (performance.now() - t0) / 1000;
    for (const p of procs) if (p.exitcode !== 0) throw new Error(`a lock looper ended with exitcode ${p.exitcode}`);
    return (2 * LOOP) / seconds;
  });
}
