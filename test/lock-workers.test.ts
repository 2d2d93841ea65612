import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { ActorRef } from 'troupe';
import { AbandonedLockError, Event, Lock, Process, RLock, RuntimeError } from 'troupe/multiprocessing';
import { SystemImpl } from '../src/system/system.js';
import { inject, killHost } from '../src/system/faults.js';
import { SyncUser } from './fixtures/sync-actors.js';
import { countUnderLock, holdLock } from './fixtures/sync-tasks.js';

// The facade uses the default system; this one records its log so the WARNING can be checked.
const records: Array<Record<string, any>> = [];
const logger = pino({ level: 'warn' }, { write: (line: string) => void records.push(JSON.parse(line)) });
const system = new SystemImpl({ name: 'default', logger });
(globalThis as Record<symbol, unknown>)[Symbol.for('troupe.defaultSystem')] = system;
afterAll(() => system.shutdown());

const user = (prim: unknown): Promise<ActorRef> => system.spawn(SyncUser, { args: [prim], placement: 'exclusive' });
const call = (ref: ActorRef, method: string, ...args: unknown[]): Promise<any> => ref.ask({ type: 'call', method, args }, { timeout: 15_000 });
const warningsAbout = (holder: string): Array<Record<string, any>> => records.filter((r) => r.level === 40 && r.holder === holder);

describe('Lock across threads', { timeout: 30_000 }, () => {
  it('is held by a worker actor it was passed to, and handed to a waiting main thread on release', async () => {
    const lock = new Lock();
    const worker = await user(lock);
    expect(await call(worker, 'acquire')).toBe(true);
    expect(lock.locked()).toBe(true);
    expect(lock.owner).toBe('SyncUser');
    expect(await lock.acquire({ block: false })).toBe(false);
    const waiting = lock.acquire();
    await call(worker, 'release');
    expect(await waiting).toBe(true);
    expect(lock.owner).toBe('MainProcess');
    const workerWaits = call(worker, 'acquire');
    lock.release();
    expect(await workerWaits).toBe(true);
    expect(await worker.ask({ type: 'get', prop: 'owner' })).toBe('SyncUser');
    // Python's Lock may be released by anyone, not only its holder
    lock.release();
    expect(lock.locked()).toBe(false);
    await worker.stop();
  });

  it('travels back inside a reply as a handle to the same lock', async () => {
    const lock = new Lock();
    const worker = await user(lock);
    const { prim } = (await worker.ask({ type: 'handle' })) as { prim: Lock };
    expect(prim).toBeInstanceOf(Lock);
    expect(prim.id).toBe(lock.id);
    await prim.acquire();
    expect(lock.locked()).toBe(true);
    lock.release();
    await worker.stop();
  });

  it('lets only the holder of an RLock release it', async () => {
    const lock = new RLock();
    const worker = await user(lock);
    await call(worker, 'acquire');
    await call(worker, 'acquire');
    expect(lock.count).toBe(2);
    expect(() => lock.release()).toThrow(RuntimeError);
    expect(await lock.acquire({ timeout: 20 })).toBe(false);
    await call(worker, 'release');
    expect(lock.count).toBe(1);
    await call(worker, 'release');
    expect(lock.locked()).toBe(false);
    await expect(call(worker, 'release')).rejects.toThrow(RuntimeError);
    await worker.stop();
  });
});

describe('robust locks', { timeout: 30_000 }, () => {
  it('passes the lock of a holder whose worker is killed to the next waiter, flagged abandoned, with a WARNING', async () => {
    const lock = new Lock();
    const holder = await user(lock);
    await call(holder, 'acquire');
    const next = lock.acquire();
    expect(await killHost(system, holder.id)).toBe(true);
    expect(await next).toBe(true);
    expect(lock.abandoned).toBe(true);
    expect(lock.owner).toBe('MainProcess');
    expect(warningsAbout('SyncUser').some((r) => /died while holding the lock/.test(r.msg))).toBe(true);
    lock.release();
    await lock.acquire();
    expect(lock.abandoned).toBe(false);
    lock.release();
  });

  it('rejects the next acquire with AbandonedLockError when made with onAbandoned: throw, then works on', async () => {
    const lock = new Lock({ onAbandoned: 'throw' });
    const holder = await user(lock);
    await call(holder, 'acquire');
    const first = lock.acquire();
    const second = lock.acquire();
    inject(system, holder.id, { crash: new Error('holder crashed') });
    await expect(first).rejects.toThrow(AbandonedLockError);
    expect(await second).toBe(true);
    expect(lock.abandoned).toBe(false);
    lock.release();
  });

  it('releases the lock of a holder that exited while nobody waited; the next acquire sees it abandoned', async () => {
    const lock = new Lock();
    const holder = await user(lock);
    await call(holder, 'acquire');
    expect(lock.locked()).toBe(true);
    await holder.stop();
    expect(lock.locked()).toBe(false);
    expect(lock.owner).toBe(null);
    expect(await lock.acquire({ timeout: 5000 })).toBe(true);
    expect(lock.abandoned).toBe(true);
    lock.release();
  });

  it('frees an RLock held several levels deep by a killed worker', async () => {
    const lock = new RLock();
    const holder = await user(lock);
    await call(holder, 'acquire');
    await call(holder, 'acquire');
    const next = lock.acquire();
    void killHost(system, holder.id);
    expect(await next).toBe(true);
    expect(lock.count).toBe(1);
    expect(lock.abandoned).toBe(true);
    lock.release();
    expect(lock.locked()).toBe(false);
  });

  it('passes the lock of a terminated Process to the next waiter', async () => {
    const lock = new Lock();
    const held = new Event();
    const p = new Process({ target: holdLock, args: [lock, held] });
    p.start();
    expect(await held.wait(15_000)).toBe(true);
    expect(lock.owner).toBe(p.name);
    const next = lock.acquire();
    p.terminate();
    expect(await next).toBe(true);
    expect(lock.abandoned).toBe(true);
    await p.join();
    expect(p.exitcode).toBe(-15);
    lock.release();
  });
});

describe('Lock between Processes', { timeout: 60_000 }, () => {
  it('serialises their critical sections: no update is lost', async () => {
    const lock = new Lock();
    const counter = new SharedArrayBuffer(4);
    const procs = [1, 2, 3].map(() => new Process({ target: countUnderLock, args: [lock, counter, 20] }));
    for (const p of procs) p.start();
    for (const p of procs) await p.join();
    expect(procs.map((p) => p.exitcode)).toEqual([0, 0, 0]);
    expect(new Int32Array(counter)[0]).toBe(60);
    expect(lock.locked()).toBe(false);
  });
});
