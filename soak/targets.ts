/**
 * The code the soak runs in worker threads: Process targets and Pool tasks, exported with task()
 * so workers load them by module. Each target records what it has done in shared memory the
 * moment it is done (a put that resolved, a send that returned), so the accounting in main stays
 * exact when the chaos loop kills it mid-way.
 */
import { task } from 'troupe';
import { BrokenBarrierError, type Barrier, type BoundedSemaphore, type Condition, type Connection, type Lock, type Queue } from 'troupe/multiprocessing';
import { SYNC } from './sync-layout.js';

/** A queue item: [producer slot, sequence number], or null (a consumer's stop signal). */
export type Item = [number, number] | null;

/** Puts `count` items; `acked[slot]` is the number of puts that have resolved. */
export const producer = task(async (q: Queue<Item>, acked: Int32Array, slot: number, count: number) => {
  for (let i = 0; i < count; i++) {
    await q.put([slot, i]);
    Atomics.store(acked, slot, i + 1);
  }
});

/** Gets items until a null, counting each in `received[slot * stride + seq]`. */
export const consumer = task(async (q: Queue<Item>, received: Int32Array, stride: number) => {
  for (;;) {
    const item = await q.get();
    if (item === null) return;
    Atomics.add(received, item[0] * stride + item[1], 1);
  }
});

/** Sends 0..count-1 down a pipe; `acked[slot]` is the number of sends that have returned. */
export const pipeSender = task(async (conn: Connection<number>, acked: Int32Array, slot: number, count: number) => {
  for (let i = 0; i < count; i++) {
    conn.send(i);
    Atomics.store(acked, slot, i + 1);
    // yield now and then, so that a kill can land between two sends
    if (i % 16 === 15) await new Promise((resolve) => setImmediate(resolve));
  }
  conn.close();
});

export interface SyncKit {
  lock: Lock;
  sem: BoundedSemaphore;
  barrier: Barrier;
  cond: Condition;
  sab: Int32Array;
}

/** Marks `slot` inside a critical section; if more than `allowed` are inside, records who. */
function enter(sab: Int32Array, base: number, suspects: number, slot: number, allowed: number): void {
  Atomics.store(sab, base + slot, 1);
  let mask = 0;
  let inside = 0;
  for (let s = 0; s < SYNC.slots; s++) {
    if (Atomics.load(sab, base + s) === 1) {
      mask |= 1 << s;
      inside++;
    }
  }
  if (inside > allowed) {
    const n = Atomics.add(sab, suspects, 1);
    if (n < SYNC.maxSuspects) Atomics.store(sab, suspects + 1 + n, mask);
  }
}

// long enough inside a critical section for an intruder to be seen there
const holdInside = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1));

/**
 * Loops over the primitives: a Lock and a BoundedSemaphore(2) critical section (each checked in
 * shared memory), a Barrier wait, a Condition notify. A slot left marked inside at the end is a
 * holder that died inside, which the accounting in main excuses.
 */
export const syncWorker = task(async (kit: SyncKit, slot: number, iterations: number) => {
  const { lock, sem, barrier, cond, sab } = kit;
  let barrierBroken = false;
  for (let i = 0; i < iterations && Atomics.load(sab, SYNC.stop) === 0; i++) {
    await lock.acquire();
    enter(sab, SYNC.lockInside, SYNC.lockSuspects, slot, 1);
    await holdInside();
    Atomics.store(sab, SYNC.lockInside + slot, 0);
    Atomics.add(sab, SYNC.lockAcquires, 1);
    lock.release();

    await sem.acquire();
    enter(sab, SYNC.semInside, SYNC.semSuspects, slot, SYNC.semValue);
    await holdInside();
    Atomics.store(sab, SYNC.semInside + slot, 0);
    Atomics.add(sab, SYNC.semAcquires, 1);
    sem.release();

    if (!barrierBroken) {
      try {
        const index = await barrier.wait();
        if (!(index >= 0 && index < barrier.parties)) Atomics.add(sab, SYNC.barrierBadIndex, 1);
        Atomics.add(sab, SYNC.barrierPassed, 1);
      } catch (error) {
        if (!(error instanceof BrokenBarrierError)) throw error;
        Atomics.add(sab, SYNC.barrierBroken, 1);
        barrierBroken = true;
      }
    }

    await cond.acquire();
    Atomics.add(sab, SYNC.ticks, 1);
    cond.notifyAll();
    cond.release();
  }
});

/** Pool tasks: a good one, one that throws, one that kills its worker, one that never ends. */
export const square = task((x: number) => x * x);
export const boom = task((x: number) => {
  throw new Error(`boom ${x}`);
});
export const die = task((code: number) => process.exit(code));
export const spin = task(() => {
  for (;;);
});
