import { afterAll, describe, expect, it } from 'vitest';
import { Empty, Full, JoinableQueue, OSError, Queue, SerializationError, ShutDown, SimpleQueue, ValueError } from 'troupe/multiprocessing';
import { mainSystem } from '../src/default-system.js';
import { reviveHandles } from '../src/handles.js';
import { NoProcError } from '../src/errors.js';
import { releaseQueue } from '../src/multiprocessing/queue.js';

afterAll(() => mainSystem().shutdown());

describe('Queue', () => {
  it('is FIFO and reports its size synchronously', async () => {
    const q = new Queue<number>();
    expect(q.empty()).toBe(true);
    for (let i = 0; i < 5; i++) await q.put(i);
    expect(q.qsize()).toBe(5);
    expect(q.empty()).toBe(false);
    const got: number[] = [];
    for (let i = 0; i < 5; i++) got.push(await q.get());
    expect(got).toEqual([0, 1, 2, 3, 4]);
    expect(q.qsize()).toBe(0);
  });

  it('getNowait() rejects Empty at once and get() with a timeout rejects Empty after it', async () => {
    const q = new Queue();
    await expect(q.getNowait()).rejects.toBeInstanceOf(Empty);
    await expect(q.get({ block: false })).rejects.toBeInstanceOf(Empty);
    const started = Date.now();
    await expect(q.get({ timeout: 50 })).rejects.toBeInstanceOf(Empty);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  });

  it('a blocked get() resolves when an item is put', async () => {
    const q = new Queue<string>();
    const got = q.get();
    await q.put('late');
    expect(await got).toBe('late');
  });

  it('a bounded queue is full at maxsize: putNowait rejects Full, put waits for a get', async () => {
    const q = new Queue<number>(2);
    await q.put(1);
    await q.putNowait(2);
    expect(q.full()).toBe(true);
    await expect(q.putNowait(3)).rejects.toBeInstanceOf(Full);
    await expect(q.put(3, { timeout: 30 })).rejects.toBeInstanceOf(Full);
    const blocked = q.put(3);
    expect(await q.get()).toBe(1);
    await blocked;
    expect([await q.get(), await q.get()]).toEqual([2, 3]);
    expect(q.empty()).toBe(true);
  });

  it('rejects put/get on a closed handle with ValueError; other handles are unaffected', async () => {
    const q = new Queue<number>();
    await q.put(1);
    q.close();
    await expect(q.put(2)).rejects.toBeInstanceOf(ValueError);
    await expect(q.get()).rejects.toThrow(/closed/);
    q.joinThread();
    q.cancelJoinThread();
  });

  it('rejects an unserialisable item with SerializationError and stays usable', async () => {
    const q = new Queue<unknown>();
    await expect(q.put({ f: () => 1 })).rejects.toBeInstanceOf(SerializationError);
    await expect(q.put(Symbol('s'))).rejects.toThrow(/symbol/);
    expect(q.qsize()).toBe(0);
    await q.put('ok');
    expect(await q.get()).toBe('ok');
  });

  it('validates its arguments with ValueError', async () => {
    const q = new Queue();
    await expect(q.get({ timeout: -1 })).rejects.toBeInstanceOf(ValueError);
    await expect(q.get(false as never)).rejects.toThrow(/block: false/);
    expect(() => new Queue('3' as never)).toThrow(ValueError);
  });

  it('shutdown(): puts reject ShutDown, gets drain then reject ShutDown, blocked getters wake', async () => {
    const q = new Queue<number>();
    const blocked = new Queue<number>();
    const waiting = blocked.get();
    await blocked.shutdown();
    await expect(waiting).rejects.toBeInstanceOf(ShutDown);
    await q.put(1);
    await q.put(2);
    await q.shutdown();
    await expect(q.put(3)).rejects.toBeInstanceOf(ShutDown);
    expect(await q.get()).toBe(1);
    expect(await q.getNowait()).toBe(2);
    await expect(q.get()).rejects.toBeInstanceOf(ShutDown);
  });

  it('shutdown(true) drops what is left and counts it done for join()', async () => {
    const q = new JoinableQueue<number>();
    for (let i = 0; i < 3; i++) await q.put(i);
    const full = new Queue<number>(1);
    await full.put(0);
    const putter = full.put(1);
    await full.shutdown(true);
    await expect(putter).rejects.toBeInstanceOf(ShutDown);
    await q.shutdown(true);
    expect(q.qsize()).toBe(0);
    await q.join();
    await expect(q.get()).rejects.toBeInstanceOf(ShutDown);
  });

  it('answers concurrent gets in call order', async () => {
    const q = new Queue<number>();
    for (let i = 1; i <= 5; i++) await q.put(i);
    expect(await Promise.all([q.get(), q.get(), q.get()])).toEqual([1, 2, 3]);
    expect(await Promise.all([q.get(), q.get()])).toEqual([4, 5]);
  });

  it('a closed handle gives back what it had received but not taken', async () => {
    const q = new Queue<number>();
    const copy = reviveHandles(structuredClone(q), mainSystem().runtime);
    for (let i = 1; i <= 4; i++) await q.put(i);
    expect(await copy.get()).toBe(1);
    copy.close();
    expect([await q.get(), await q.get(), await q.get()]).toEqual([2, 3, 4]);
  });
});

describe('releaseQueue', () => {
  it('stops the server: pending and later gets reject NoProcError', async () => {
    const q = new Queue<number>();
    const pending = q.get();
    await releaseQueue(q);
    await expect(pending).rejects.toBeInstanceOf(NoProcError);
    await expect(q.get()).rejects.toBeInstanceOf(NoProcError);
  });
});

describe('JoinableQueue', () => {
  it('join() resolves once every item is matched by taskDone()', async () => {
    const q = new JoinableQueue<number>();
    await q.join();
    await q.put(1);
    await q.put(2);
    let joined = false;
    const join = q.join().then(() => (joined = true));
    await q.get();
    q.taskDone();
    await q.get();
    // a round trip to the server: the join is still parked there
    await mainSystem().ref(q.id).ask({ type: 'stats' });
    expect(joined).toBe(false);
    q.taskDone();
    await join;
    expect(joined).toBe(true);
  });

  it('taskDone() called too many times throws ValueError', () => {
    const q = new JoinableQueue();
    expect(() => q.taskDone()).toThrow(ValueError);
  });
});

describe('SimpleQueue', () => {
  it('puts, gets and reports empty()', async () => {
    const q = new SimpleQueue<string>();
    expect(q.empty()).toBe(true);
    await q.put('a');
    expect(q.empty()).toBe(false);
    expect(await q.get()).toBe('a');
  });

  it('rejects OSError (closed) after close()', async () => {
    const q = new SimpleQueue();
    q.close();
    const error = await q.get().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OSError);
    expect((error as OSError).reason).toBe('closed');
    await expect(q.put(1)).rejects.toBeInstanceOf(OSError);
  });
});
