import { afterAll, describe, expect, it } from 'vitest';
import { Event, Lock, OSError, Pipe, Process, Queue, RLock, Semaphore, SimpleQueue, ValueError, wait } from 'troupe/multiprocessing';
import { mainSystem } from '../src/default-system.js';
import { sleepForever } from './fixtures/process-targets.js';

afterAll(() => mainSystem().shutdown());

describe('negative timeouts (DESIGN §4): 0 where Python returns at once, ValueError for Queue get/put', () => {
  it('wait([conn], -1) resolves [] and conn.poll(-1) false at once; with data waiting they report it', async () => {
    const [a, b] = Pipe();
    expect(await wait([b], -1)).toEqual([]);
    expect(await b.poll(-1)).toBe(false);
    a.send(1);
    expect(await wait([b], -1)).toEqual([b]);
    expect(await b.poll(-1)).toBe(true);
  });

  it('join(-1) returns at once while the process runs', async () => {
    const p = new Process({ target: sleepForever });
    p.start();
    await p.join(-1);
    expect(p.exitcode).toBeNull();
    p.kill();
    await p.join();
    expect(p.exitcode).toBe(-9);
  }, 20_000);

  it('Event.wait(-1) and acquire({ timeout: -1 }) answer at once', async () => {
    const event = new Event();
    expect(await event.wait(-1)).toBe(false);
    event.set();
    expect(await event.wait(-1)).toBe(true);
    for (const prim of [new Lock(), new RLock(), new Semaphore(1)]) {
      expect(await prim.acquire({ timeout: -1 })).toBe(true);
    }
    const lock = new Lock();
    await lock.acquire();
    expect(await lock.acquire({ timeout: -5 })).toBe(false);
    lock.release();
  });

  it("Queue get/put with a negative timeout reject ValueError (Python's 'timeout' must be a non-negative number)", async () => {
    const q = new Queue<number>(1);
    await expect(q.get({ timeout: -1 })).rejects.toBeInstanceOf(ValueError);
    await expect(q.put(1, { timeout: -1 })).rejects.toBeInstanceOf(ValueError);
    await q.put(1);
    expect(await q.get()).toBe(1);
  });
});

describe('after close() (DESIGN §4.2)', () => {
  it('a SimpleQueue: empty(), get and put throw OSError "handle is closed"; close() is idempotent', async () => {
    const q = new SimpleQueue<number>();
    q.close();
    q.close();
    expect(() => q.empty()).toThrow(OSError);
    await expect(q.get()).rejects.toBeInstanceOf(OSError);
    await expect(q.put(1)).rejects.toBeInstanceOf(OSError);
  });

  it('a Queue that has put an item: empty() throws OSError; a never-used closed Queue answers true', async () => {
    const used = new Queue<number>();
    await used.put(1);
    used.close();
    used.close();
    expect(() => used.empty()).toThrow(OSError);
    await expect(used.put(2)).rejects.toBeInstanceOf(ValueError);
    await expect(used.get()).rejects.toBeInstanceOf(ValueError);
    const fresh = new Queue<number>();
    fresh.close();
    expect(fresh.empty()).toBe(true);
  });
});
