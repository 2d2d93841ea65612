/**
 * Sync rounds: three processes loop over a Lock, a BoundedSemaphore(2), a Barrier(3) and a
 * Condition while main waits on the Condition. Mutual exclusion is checked inside each critical
 * section in shared memory (see targets.ts); a holder killed inside leaves its slot marked, and
 * only holders still marked at the end (dead inside) excuse a crowded snapshot. Every acquire,
 * wait and join must settle: the lock and semaphore are robust, the barrier has a timeout.
 */
import { Barrier, BoundedSemaphore, Condition, Lock } from 'troupe/multiprocessing';
import type { SoakContext } from './context.js';
import { SYNC } from './sync-layout.js';
import { syncWorker } from './targets.js';

const WORKERS = 3;
const BARRIER_TIMEOUT_MS = 3000;

function popcount(mask: number): number {
  let n = 0;
  for (let m = mask; m; m &= m - 1) n++;
  return n;
}

/** Crowded snapshots not explained by holders that died inside. */
function violations(sab: Int32Array, inside: number, suspects: number, allowed: number): string[] {
  let deadInside = 0;
  for (let s = 0; s < SYNC.slots; s++) if (Atomics.load(sab, inside + s) === 1) deadInside |= 1 << s;
  const found: string[] = [];
  const n = Math.min(Atomics.load(sab, suspects), SYNC.maxSuspects);
  for (let i = 0; i < n; i++) {
    const mask = Atomics.load(sab, suspects + 1 + i);
    if (popcount(mask & ~deadInside) > allowed) found.push(`slots ${mask.toString(2)} inside together (dead inside: ${deadInside.toString(2)})`);
  }
  return found;
}

export async function syncRound(ctx: SoakContext, round: number): Promise<void> {
  const sab = new Int32Array(new SharedArrayBuffer(4 * SYNC.length));
  const kit = { lock: new Lock(), sem: new BoundedSemaphore(SYNC.semValue), barrier: new Barrier(WORKERS, null, BARRIER_TIMEOUT_MS), cond: new Condition(), sab };
  const iterations = ctx.rng.int(10, 40);
  const workers = Array.from({ length: WORKERS }, (_, slot) => ctx.start(syncWorker, [kit, slot, iterations], `sync${round}-worker-${slot}`));
  let running = true;
  // when the soak stops, the workers end after their current iteration, none left at the barrier
  const stop = (): void => {
    Atomics.store(sab, SYNC.stop, 1);
    kit.barrier.abort();
  };
  ctx.onStop(stop);
  const watcher = (async () => {
    let seen = 0;
    while (running) {
      await ctx.ledger.track('condition.acquire', kit.cond.acquire(), () => 'acquire rejected');
      const { value } = await ctx.ledger.track('condition.waitFor', kit.cond.waitFor(() => Atomics.load(sab, SYNC.ticks) > seen, 500), () => 'waitFor rejected');
      if (value) seen = Atomics.load(sab, SYNC.ticks);
      kit.cond.release();
    }
  })();
  await Promise.all(workers.map((p) => ctx.join(p, 'sync.worker')));
  running = false;
  ctx.offStop(stop);
  await watcher;
  const what = `sync round ${round}`;
  for (const v of violations(sab, SYNC.lockInside, SYNC.lockSuspects, 1)) ctx.ledger.fail('violations', `${what}: Lock: ${v}`);
  for (const v of violations(sab, SYNC.semInside, SYNC.semSuspects, SYNC.semValue)) ctx.ledger.fail('violations', `${what}: BoundedSemaphore(2): ${v}`);
  if (Atomics.load(sab, SYNC.barrierBadIndex) > 0) ctx.ledger.fail('wrong', `${what}: Barrier.wait() resolved an index outside 0..${WORKERS - 1}`);
  ctx.ledger.count('lock.acquire', 'ok', Atomics.load(sab, SYNC.lockAcquires));
  ctx.ledger.count('semaphore.acquire', 'ok', Atomics.load(sab, SYNC.semAcquires));
  ctx.ledger.count('barrier.wait', 'ok', Atomics.load(sab, SYNC.barrierPassed));
  ctx.ledger.count('barrier.wait', 'expectedError', Atomics.load(sab, SYNC.barrierBroken));
  ctx.ledger.count('condition.notify', 'ok', Atomics.load(sab, SYNC.ticks));
}
