import { afterAll, describe, expect, it, vi } from 'vitest';
import { Barrier, BoundedSemaphore, BrokenBarrierError, Condition, Event, Lock, RLock, RuntimeError, Semaphore, ValueError } from 'troupe/multiprocessing';
import { mainSystem } from '../src/default-system.js';

afterAll(() => mainSystem().shutdown());

/** Waiters registered on a Condition and not yet notified (its shared counter). */
const waitingOn = (cond: Condition): number => Atomics.load(new Int32Array(cond.sab), 0);

describe('Semaphore', () => {
  it('hands out `value` permits, then makes acquirers wait for a release', async () => {
    const sem = new Semaphore(2);
    expect(await sem.acquire()).toBe(true);
    expect(await sem.acquire()).toBe(true);
    expect(sem.getValue()).toBe(0);
    expect(await sem.acquire({ block: false })).toBe(false);
    expect(await sem.acquire({ timeout: 20 })).toBe(false);
    const waiting = sem.acquire();
    sem.release();
    expect(await waiting).toBe(true);
    sem.release();
    sem.release();
    expect(sem.getValue()).toBe(2);
  });

  it('grants waiters in FIFO order', async () => {
    const sem = new Semaphore(0);
    const order: number[] = [];
    const waits = [1, 2, 3].map((n) => sem.acquire().then(() => order.push(n)));
    // a fourth acquire that times out reaches the manager after the three: they are queued
    expect(await sem.acquire({ timeout: 1 })).toBe(false);
    sem.release();
    await waits[0];
    sem.release();
    sem.release();
    await Promise.all(waits);
    expect(order).toEqual([1, 2, 3]);
  });

  it('may be released past its initial value; a BoundedSemaphore throws ValueError instead', async () => {
    const sem = new Semaphore(1);
    sem.release();
    expect(sem.getValue()).toBe(2);
    const bounded = new BoundedSemaphore(1);
    expect(() => bounded.release()).toThrow(ValueError);
    await bounded.acquire();
    bounded.release();
    expect(() => bounded.release()).toThrow(/released too many times/);
    expect(bounded.getValue()).toBe(1);
  });

  it('withLock() holds a permit while fn runs', async () => {
    const sem = new BoundedSemaphore(1);
    expect(await sem.withLock(() => sem.getValue())).toBe(0);
    expect(sem.getValue()).toBe(1);
  });

  it('rejects a negative or fractional initial value with ValueError', () => {
    expect(() => new Semaphore(-1)).toThrow(ValueError);
    expect(() => new BoundedSemaphore(1.5)).toThrow(ValueError);
  });
});

describe('Event', () => {
  it('set(), clear() and isSet() are sync', () => {
    const event = new Event();
    expect(event.isSet()).toBe(false);
    event.set();
    expect(event.isSet()).toBe(true);
    event.clear();
    expect(event.isSet()).toBe(false);
  });

  it('wait() resolves true at once when set, false after its timeout when not', async () => {
    const event = new Event();
    expect(await event.wait(0)).toBe(false);
    expect(await event.wait(20)).toBe(false);
    event.set();
    expect(await event.wait()).toBe(true);
  });

  it('set() wakes every waiter', async () => {
    const event = new Event();
    const waits = [event.wait(), event.wait(), event.wait(5000)];
    // a wait that times out reaches the manager after the three: they are registered
    expect(await event.wait(1)).toBe(false);
    event.set();
    expect(await Promise.all(waits)).toEqual([true, true, true]);
  });
});

describe('Condition', () => {
  it('wait() and notify() need the lock: RuntimeError without it', async () => {
    const cond = new Condition();
    await expect(cond.wait()).rejects.toThrow(RuntimeError);
    expect(() => cond.notify()).toThrow(RuntimeError);
    expect(() => cond.notifyAll()).toThrow(RuntimeError);
    expect(() => new Condition({} as never)).toThrow(ValueError);
  });

  it('wait() releases the lock, and resolves true after notify() holding it again', async () => {
    const cond = new Condition(new Lock());
    await cond.acquire();
    const waiting = cond.wait();
    await cond.acquire(); // possible only because wait() released it
    cond.notify();
    cond.release();
    expect(await waiting).toBe(true);
    expect(cond.lock.locked()).toBe(true);
    cond.release();
  });

  it('wait(timeout) resolves false once the time is up, holding the lock again', async () => {
    const cond = new Condition(new Lock());
    await cond.acquire();
    expect(await cond.wait(20)).toBe(false);
    expect(cond.lock.locked()).toBe(true);
    cond.release();
  });

  it('notify(1) wakes one waiter, notifyAll() the rest, in FIFO order', async () => {
    const cond = new Condition(new Lock());
    const woke: number[] = [];
    const waiter = async (n: number): Promise<void> => {
      await cond.acquire();
      await cond.wait();
      woke.push(n);
      cond.release();
    };
    const waits = [waiter(1), waiter(2), waiter(3)];
    await vi.waitFor(() => expect(waitingOn(cond)).toBe(3));
    await cond.acquire();
    cond.notify(1);
    cond.release();
    await waits[0];
    expect(woke).toEqual([1]);
    await cond.acquire();
    cond.notifyAll();
    cond.release();
    await Promise.all(waits);
    expect(woke).toEqual([1, 2, 3]);
  });

  it('waitFor() waits until the predicate holds, and gives it back on timeout', async () => {
    const cond = new Condition(new Lock());
    let ready = false;
    const consumer = cond.withLock(() => cond.waitFor(() => ready));
    await vi.waitFor(() => expect(waitingOn(cond)).toBe(1));
    await cond.acquire();
    cond.notify(); // woken, but the predicate is still false: it waits again
    cond.release();
    // the woken consumer holds the lock first (FIFO at the manager): ours comes once it waits again
    await cond.acquire();
    ready = true;
    cond.notifyAll();
    cond.release();
    expect(await consumer).toBe(true);
    expect(await cond.withLock(() => cond.waitFor(() => false, 20))).toBe(false);
  });

  it('restores an RLock to its recursion level after wait()', async () => {
    const lock = new RLock();
    const cond = new Condition(lock);
    await lock.acquire();
    await lock.acquire();
    expect(await cond.wait(10)).toBe(false);
    expect(lock.count).toBe(2);
    lock.release();
    lock.release();
    expect(lock.locked()).toBe(false);
  });
});

describe('Barrier', () => {
  it('releases all parties together with distinct arrival indexes', async () => {
    const barrier = new Barrier(3);
    expect(barrier.parties).toBe(3);
    const first = barrier.wait();
    const second = barrier.wait();
    await vi.waitFor(() => expect(barrier.nWaiting).toBe(2));
    const indexes = await Promise.all([first, second, barrier.wait()]);
    expect(indexes.sort()).toEqual([0, 1, 2]);
    expect(barrier.nWaiting).toBe(0);
    expect(barrier.broken).toBe(false);
    // and it is reusable
    expect((await Promise.all([barrier.wait(), barrier.wait(), barrier.wait()])).sort()).toEqual([0, 1, 2]);
  });

  it('runs the action once, in the last party, before anyone is released', async () => {
    const log: string[] = [];
    const barrier = new Barrier(2, () => log.push('action'));
    const waits = [barrier.wait().then(() => log.push('released')), barrier.wait().then(() => log.push('released'))];
    await Promise.all(waits);
    expect(log).toEqual(['action', 'released', 'released']);
  });

  it('breaks when the action throws: the last party gets its error, the others BrokenBarrierError', async () => {
    const barrier = new Barrier(2, () => {
      throw new Error('action failed');
    });
    const first = barrier.wait();
    await expect(barrier.wait()).rejects.toThrow('action failed');
    await expect(first).rejects.toThrow(BrokenBarrierError);
    expect(barrier.broken).toBe(true);
  });

  it('abort() breaks it for waiting and later parties until reset()', async () => {
    const barrier = new Barrier(2);
    const waiting = barrier.wait();
    await vi.waitFor(() => expect(barrier.nWaiting).toBe(1));
    barrier.abort();
    expect(barrier.broken).toBe(true);
    await expect(waiting).rejects.toThrow(BrokenBarrierError);
    await expect(barrier.wait()).rejects.toThrow(BrokenBarrierError);
    barrier.reset();
    expect(barrier.broken).toBe(false);
    expect((await Promise.all([barrier.wait(), barrier.wait()])).sort()).toEqual([0, 1]);
  });

  it('breaks when a party times out (default timeout from the constructor)', async () => {
    const barrier = new Barrier(2, null, 20);
    await expect(barrier.wait()).rejects.toThrow(BrokenBarrierError);
    expect(barrier.broken).toBe(true);
  });

  it('reset() fails the parties waiting now, and leaves the barrier usable', async () => {
    const barrier = new Barrier(2);
    const waiting = barrier.wait();
    await vi.waitFor(() => expect(barrier.nWaiting).toBe(1));
    barrier.reset();
    await expect(waiting).rejects.toThrow(BrokenBarrierError);
    expect(barrier.broken).toBe(false);
    expect((await Promise.all([barrier.wait(), barrier.wait()])).sort()).toEqual([0, 1]);
  });

  it('rejects fewer than one party with ValueError', () => {
    expect(() => new Barrier(0)).toThrow(ValueError);
  });
});
