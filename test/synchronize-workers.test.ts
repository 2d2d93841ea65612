import { afterAll, describe, expect, it, vi } from 'vitest';
import type { ActorRef } from 'troupe';
import { Barrier, BoundedSemaphore, BrokenBarrierError, Condition, Event, Process, Semaphore } from 'troupe/multiprocessing';
import { mainSystem } from '../src/default-system.js';
import { killHost } from '../src/system/faults.js';
import { SyncUser } from './fixtures/sync-actors.js';
import { holdPermit, waitAtBarrier, waitOnCondition } from './fixtures/sync-tasks.js';

const system = mainSystem();
afterAll(() => system.shutdown());

const user = (prim: unknown, flag?: SharedArrayBuffer): Promise<ActorRef> =>
  system.spawn(SyncUser, { args: flag ? [prim, flag] : [prim], placement: 'exclusive' });
const call = (ref: ActorRef, method: string, ...args: unknown[]): Promise<any> => ref.ask({ type: 'call', method, args }, { timeout: 15_000 });

describe('Semaphore across threads', { timeout: 30_000 }, () => {
  it('carries a release from a worker to a waiting main thread', async () => {
    const sem = new Semaphore(0);
    const worker = await user(sem);
    const waiting = sem.acquire();
    await call(worker, 'release');
    expect(await waiting).toBe(true);
    await worker.stop();
  });

  it('returns the permit of a holder whose worker is killed to the next waiter', async () => {
    const sem = new BoundedSemaphore(1);
    const holder = await user(sem);
    expect(await call(holder, 'acquire')).toBe(true);
    const waiting = sem.acquire();
    void killHost(system, holder.id);
    expect(await waiting).toBe(true);
    sem.release();
    expect(sem.getValue()).toBe(1);
  });

  it('returns the permit of a terminated Process', async () => {
    const sem = new Semaphore(1);
    const held = new Event();
    const p = new Process({ target: holdPermit, args: [sem, held] });
    p.start();
    expect(await held.wait(15_000)).toBe(true);
    const waiting = sem.acquire();
    p.terminate();
    expect(await waiting).toBe(true);
    await p.join();
  });
});

describe('Event across threads', { timeout: 30_000 }, () => {
  it('wakes a worker waiting on it when main sets it', async () => {
    const event = new Event();
    const worker = await user(event);
    const waiting = call(worker, 'wait');
    await vi.waitFor(() => expect(new Int32Array(event.sab)[1]).toBe(1));
    event.set();
    expect(await waiting).toBe(true);
    expect(await call(worker, 'isSet')).toBe(true);
    await worker.stop();
  });
});

describe('Condition across threads', { timeout: 30_000 }, () => {
  it('wakes a worker in waitFor() once main changes the state and notifies', async () => {
    const cond = new Condition();
    const flag = new SharedArrayBuffer(4);
    const worker = await user(cond, flag);
    await call(worker, 'acquire');
    const waiting = worker.ask({ type: 'waitForFlag', timeout: null }, { timeout: 15_000 });
    await cond.acquire(); // only once the worker's wait released it
    Atomics.store(new Int32Array(flag), 0, 1);
    cond.notifyAll();
    cond.release();
    expect(await waiting).toBe(true);
    expect(cond.lock.owner).toBe('SyncUser');
    await call(worker, 'release');
    expect(cond.lock.locked()).toBe(false);
    await worker.stop();
  });

  it('drops a waiter whose worker is killed: notify(1) wakes the next live one', async () => {
    const cond = new Condition();
    const [doomed, survivor] = await Promise.all([user(cond), user(cond)]);
    await call(doomed, 'acquire');
    const doomedWait = call(doomed, 'wait').catch((error: Error) => error);
    await call(survivor, 'acquire');
    const survivorWait = call(survivor, 'wait');
    await cond.acquire(); // both are waiting now: each wait released the lock
    void killHost(system, doomed.id);
    await doomed.exited;
    cond.notify(1);
    cond.release();
    expect(await survivorWait).toBe(true);
    expect(cond.lock.owner).toBe('SyncUser');
    await call(survivor, 'release');
    expect(await doomedWait).toBeInstanceOf(Error);
  });

  it('drops a waiting Process that is terminated', async () => {
    const cond = new Condition();
    const waiting = new Event();
    const p = new Process({ target: waitOnCondition, args: [cond, waiting] });
    p.start();
    expect(await waiting.wait(15_000)).toBe(true);
    await cond.acquire(); // the process is waiting: its wait released the lock
    p.terminate();
    await p.join();
    cond.notifyAll();
    expect(await cond.wait(20)).toBe(false); // main's own wait: nobody else holds or wants the lock
    cond.release();
    expect(cond.lock.locked()).toBe(false);
  });
});

describe('Barrier across threads', { timeout: 60_000 }, () => {
  it('lets Processes and main meet', async () => {
    const barrier = new Barrier(3);
    const procs = [1, 2].map(() => new Process({ target: waitAtBarrier, args: [barrier] }));
    for (const p of procs) p.start();
    const index = await barrier.wait();
    for (const p of procs) await p.join();
    expect(procs.map((p) => p.exitcode)).toEqual([0, 0]);
    expect([0, 1, 2]).toContain(index);
  });

  it('breaks when a waiting party is killed: the others get BrokenBarrierError', async () => {
    const barrier = new Barrier(3);
    const party = await user(barrier);
    const partyWait = call(party, 'wait').catch((error: Error) => error);
    await vi.waitFor(() => expect(barrier.nWaiting).toBe(1));
    const mine = barrier.wait();
    await vi.waitFor(() => expect(barrier.nWaiting).toBe(2));
    void killHost(system, party.id);
    await expect(mine).rejects.toThrow(BrokenBarrierError);
    expect(barrier.broken).toBe(true);
    expect(await partyWait).toBeInstanceOf(Error);
  });
});
