import { afterAll, describe, expect, it } from 'vitest';
import { Lock, RLock, RuntimeError, ValueError } from 'troupe/multiprocessing';
import { MANAGER_NAME } from '../actors/lock-manager/protocol.js';
import { mainSystem } from '../src/default-system.js';

afterAll(() => mainSystem().shutdown());

describe('Lock', () => {
  it('is free, then held by MainProcess after acquire(), then free again after release()', async () => {
    const lock = new Lock();
    expect(lock.locked()).toBe(false);
    expect(lock.owner).toBeNull();
    expect(await lock.acquire()).toBe(true);
    expect(lock.locked()).toBe(true);
    expect(lock.owner).toBe('MainProcess');
    expect(lock.abandoned).toBe(false);
    expect(lock.release()).toBeUndefined();
    expect(lock.locked()).toBe(false);
    expect(lock.owner).toBeNull();
  });

  it('throws ValueError synchronously when released while unlocked', async () => {
    const lock = new Lock();
    expect(() => lock.release()).toThrow(ValueError);
    await lock.acquire();
    lock.release();
    expect(() => lock.release()).toThrow(/unlocked Lock/);
  });

  it('resolves false for acquire({ block: false }) while held, true once free', async () => {
    const lock = new Lock();
    await lock.acquire();
    expect(await lock.acquire({ block: false })).toBe(false);
    lock.release();
    expect(await lock.acquire({ block: false })).toBe(true);
    lock.release();
  });

  it('resolves false after the timeout and leaves the lock with its holder', async () => {
    const lock = new Lock();
    await lock.acquire();
    const started = performance.now();
    expect(await lock.acquire({ timeout: 60 })).toBe(false);
    expect(performance.now() - started).toBeGreaterThanOrEqual(50);
    expect(lock.owner).toBe('MainProcess');
    lock.release();
    expect(lock.locked()).toBe(false);
    expect(await lock.acquire({ timeout: 0 })).toBe(true);
    lock.release();
  });

  it('grants waiters in FIFO order, one per release()', async () => {
    const lock = new Lock();
    await lock.acquire();
    const order: number[] = [];
    const waits = [1, 2, 3].map((n) => lock.acquire().then(() => order.push(n)));
    // a non-blocking try reaches the manager after the three waiters (one FIFO): they are queued, not granted
    expect(await lock.acquire({ block: false })).toBe(false);
    expect(order).toEqual([]);
    for (let i = 0; i < 3; i++) {
      lock.release();
      await waits[i];
      expect(order).toEqual([1, 2, 3].slice(0, i + 1));
      expect(lock.locked()).toBe(true);
    }
    lock.release();
    expect(lock.locked()).toBe(false);
  });

  it('withLock() runs fn holding the lock and releases it, also when fn throws', async () => {
    const lock = new Lock();
    expect(await lock.withLock(() => lock.locked())).toBe(true);
    expect(lock.locked()).toBe(false);
    await expect(lock.withLock(async () => Promise.reject(new Error('inside')))).rejects.toThrow('inside');
    expect(lock.locked()).toBe(false);
  });

  it('is released at the end of an `await using` scope', async () => {
    const lock = new Lock();
    {
      await lock.acquire();
      await using held = lock;
      expect(held.locked()).toBe(true);
    }
    expect(lock.locked()).toBe(false);
  });

  it('rejects bad arguments with ValueError', async () => {
    const lock = new Lock();
    await expect(lock.acquire({ timeout: 'soon' as never })).rejects.toThrow(ValueError);
    await expect(lock.acquire({ block: 'yes' as never })).rejects.toThrow(ValueError);
    expect(() => new Lock({ onAbandoned: 'ignore' as never })).toThrow(ValueError);
    await expect(lock.withLock(undefined as never)).rejects.toThrow(ValueError);
    expect(lock.locked()).toBe(false);
  });

  it('takes and frees an uncontended lock without a message (fast path)', async () => {
    const lock = new Lock();
    await lock.acquire(); // the first acquire fetches this caller's token from the manager
    lock.release();
    const system = mainSystem();
    const manager = system.runtime.cells.get(system.get(MANAGER_NAME)!.id)!;
    let messages = 0;
    const enqueue = manager.enqueue.bind(manager);
    manager.enqueue = (envelope) => {
      messages++;
      enqueue(envelope);
    };
    try {
      for (let i = 0; i < 10_000; i++) {
        await lock.acquire();
        lock.release();
      }
    } finally {
      manager.enqueue = enqueue;
    }
    expect(messages).toBe(0);
    expect(lock.locked()).toBe(false);
  });
});

describe('RLock', () => {
  it('is reentrant: count follows acquire()/release(), and the lock is free at 0', async () => {
    const lock = new RLock();
    expect(lock.count).toBe(0);
    await lock.acquire();
    await lock.acquire();
    expect(lock.count).toBe(2);
    expect(lock.owner).toBe('MainProcess');
    lock.release();
    expect(lock.count).toBe(1);
    expect(lock.locked()).toBe(true);
    lock.release();
    expect(lock.count).toBe(0);
    expect(lock.locked()).toBe(false);
  });

  it('throws RuntimeError synchronously when released by a caller that does not hold it', () => {
    const lock = new RLock();
    expect(() => lock.release()).toThrow(RuntimeError);
  });

  it('withLock() nests', async () => {
    const lock = new RLock();
    const inner = await lock.withLock(() => lock.withLock(() => lock.count));
    expect(inner).toBe(2);
    expect(lock.locked()).toBe(false);
  });
});
