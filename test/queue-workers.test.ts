import { afterAll, describe, expect, it } from 'vitest';
import type { ActorRef } from 'troupe';
import { Empty, JoinableQueue, Process, Queue } from 'troupe/multiprocessing';
import type { QueueStats } from '../actors/queue-server/protocol.js';
import { mainSystem } from '../src/default-system.js';
import { killHost as endHost } from '../src/system/faults.js';
import { QueueUser } from './fixtures/queue-actors.js';
import { mixedBurst } from './fixtures/queue-targets.js';
import { flagSet } from './helpers.js';

afterAll(() => mainSystem().shutdown());

function stats(q: Queue<unknown>): Promise<QueueStats> {
  return mainSystem().ref(q.id).ask({ type: 'stats' });
}


async function killHost(ref: ActorRef): Promise<void> {
  expect(await endHost(mainSystem(), ref.id)).toBe(true);
  await ref.exited;
}

async function drain<T>(q: Queue<T>): Promise<T[]> {
  const items: T[] = [];
  for (;;) {
    try {
      items.push(await q.getNowait());
    } catch (error) {
      expect(error).toBeInstanceOf(Empty);
      return items;
    }
  }
}

describe('Queue across threads', () => {
  it('works in a worker actor that received the handle in a message', async () => {
    const q = new Queue<unknown>();
    const user = await mainSystem().spawn(QueueUser);
    expect(await user.ask({ type: 'put', q, items: [1, 2, 3] })).toBe(3);
    expect([await q.get(), await q.get(), await q.get()]).toEqual([1, 2, 3]);
    await q.put('a');
    await q.put('b');
    expect(await user.ask({ type: 'sizes', q })).toEqual({ qsize: 2, empty: false, full: false });
    expect(await user.ask({ type: 'get', q, n: 2 })).toEqual(['a', 'b']);
    expect(q.empty()).toBe(true);
  });

  it('items keep structured-clone fidelity on the way to a worker and back', async () => {
    const values = [undefined, null, NaN, -0, 2n ** 70n, new Uint8Array([1, 2]), new Map([[1, 'a']]), new Date(0), { a: [1, { b: undefined }] }];
    const q = new Queue<unknown>();
    const back = new Queue<unknown>();
    for (const value of values) await q.put(value);
    const user = await mainSystem().spawn(QueueUser);
    const got = await user.ask<unknown[]>({ type: 'get', q, n: values.length });
    await user.ask({ type: 'put', q: back, items: got });
    const returned: unknown[] = [];
    for (let i = 0; i < values.length; i++) returned.push(await back.get());
    for (const list of [got, returned]) {
      expect(list).toHaveLength(values.length);
      expect(list[0]).toBeUndefined();
      expect(list[1]).toBeNull();
      expect(list[2]).toBeNaN();
      expect(Object.is(list[3], -0)).toBe(true);
      expect(list[4]).toBe(2n ** 70n);
      expect(list[5]).toEqual(new Uint8Array([1, 2]));
      expect(list[6]).toEqual(new Map([[1, 'a']]));
      expect(list[7]).toEqual(new Date(0));
      expect(list[8]).toEqual({ a: [1, { b: undefined }] });
      expect('b' in (list[8] as { a: [number, object] }).a[1]).toBe(true);
    }
  });

  it('works as a spawn argument', async () => {
    const q = new Queue<string>();
    await mainSystem().spawn(QueueUser, { args: [q, ['x', 'y']] });
    expect([await q.get(), await q.get()]).toEqual(['x', 'y']);
  });

  it('a queue created in a worker travels back and keeps its contents in main', async () => {
    const user = await mainSystem().spawn(QueueUser);
    const q = await user.ask<Queue<unknown>>({ type: 'create', maxsize: 3, item: 'made in a worker' });
    expect(q).toBeInstanceOf(Queue);
    expect(q.maxsize).toBe(3);
    expect(await q.get({ timeout: 5000 })).toBe('made in a worker');
  });

  it('an unserialisable item rejects that put only', async () => {
    const q = new Queue<unknown>();
    const user = await mainSystem().spawn(QueueUser);
    expect(await user.ask({ type: 'putBad', q })).toBe('SerializationError');
    expect(await q.get()).toBe('after');
    expect(q.qsize()).toBe(0);
  });

  it('a worker get with a timeout rejects Empty', async () => {
    const q = new Queue<unknown>();
    const user = await mainSystem().spawn(QueueUser);
    expect(await user.ask({ type: 'get', q, n: 1, timeout: 20 })).toEqual({ error: 'Empty', got: [] });
  });

  it('a bounded queue makes a worker producer wait for the main-thread consumer', async () => {
    const q = new Queue<number>(2);
    const user = await mainSystem().spawn(QueueUser);
    const produced = user.ask({ type: 'put', q, items: [1, 2, 3, 4, 5] }, { timeout: 10_000 });
    const got: number[] = [];
    for (let i = 0; i < 5; i++) got.push(await q.get());
    expect(got).toEqual([1, 2, 3, 4, 5]);
    expect(await produced).toBe(5);
  });

  it('JoinableQueue.join() in main waits for taskDone() calls made in a worker', async () => {
    const q = new JoinableQueue<number>();
    for (let i = 0; i < 10; i++) await q.put(i);
    const user = await mainSystem().spawn(QueueUser);
    const worked = user.ask({ type: 'work', q, n: 10 });
    await q.join();
    expect(await worked).toBe(10);
    expect(() => q.taskDone()).toThrow(/too many/);
  });

  it('a put is not held back by synchronous work that follows it in the producer', async () => {
    const q = new Queue<string>();
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const producer = await mainSystem().spawn(QueueUser, { placement: 'exclusive' });
    producer.send({ type: 'putThenBlock', q, item: 'sent', flag });
    await flagSet(flag);
    expect(await q.get({ timeout: 5000 })).toBe('sent');
    await killHost(producer);
  });

  it('takes back what a stalled consumer prefetched when another consumer asks', async () => {
    const q = new Queue<number>();
    const out = new Queue<number>();
    const flag = new Int32Array(new SharedArrayBuffer(4));
    for (let i = 0; i < 100; i++) await q.put(i);
    const stalled = await mainSystem().spawn(QueueUser, { placement: 'exclusive' });
    stalled.send({ type: 'takeOneThenBlock', q, out, flag });
    await flagSet(flag);
    expect(await out.get()).toBe(0);
    expect(q.qsize()).toBe(99);
    expect(await drain(q)).toEqual(Array.from({ length: 99 }, (_, i) => i + 1));
    await killHost(stalled);
    expect(await drain(q)).toEqual([]);
  });

  it('returns an item to the head when its consumer dies before get() resolved', async () => {
    const q = new Queue<number>();
    const out = new Queue<number>();
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const consumer = await mainSystem().spawn(QueueUser, { placement: 'exclusive' });
    expect(await consumer.ask({ type: 'pullOnce', q, out })).toBe('waiting');
    // its get went to the server before its answer came back (one FIFO per thread)
    expect((await stats(q)).waiters).toBe(1);
    consumer.send({ type: 'block', flag });
    await flagSet(flag);
    for (const n of [1, 2, 3]) await q.put(n);
    // the waiting get was answered (a reply the blocked thread will never read)
    expect(await stats(q)).toMatchObject({ outstanding: 1, items: [2] });
    await killHost(consumer);
    expect(await drain(q)).toEqual([1, 2, 3]);
    expect(out.empty()).toBe(true);
  });

  it('loses and duplicates nothing when a consumer worker is killed mid-stream', async () => {
    const q = new Queue<string>();
    const out = new Queue<string>();
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const mainItems = Array.from({ length: 300 }, (_, i) => `m${i}`);
    const workerItems = Array.from({ length: 200 }, (_, i) => `w${i}`);
    for (const item of mainItems.slice(0, 200)) await q.put(item);
    const producer = await mainSystem().spawn(QueueUser);
    const produced = producer.ask({ type: 'put', q, items: workerItems });
    const consumer = await mainSystem().spawn(QueueUser, { placement: 'exclusive' });
    consumer.send({ type: 'consume', q, out, stopAt: 'm50', flag });
    await flagSet(flag);
    for (const item of mainItems.slice(200)) await q.put(item);
    await produced;
    // what the blocked consumer forwarded before it blocked is in its ring: killing it loses none
    await killHost(consumer);
    const seen = [...(await drain(out)), ...(await drain(q))];
    expect(seen.slice().sort()).toEqual([...mainItems, ...workerItems].sort());
    expect(seen.filter((item) => item.startsWith('m'))).toEqual(mainItems);
    expect(seen.filter((item) => item.startsWith('w'))).toEqual(workerItems);
  }, 20_000);
});

describe('a burst of puts from a process (compact item records, merged in main)', () => {
  it('arrives whole and in order past the merge limit, across two queues and values that are not JSON', async () => {
    const a = new Queue<unknown>();
    const b = new Queue<unknown>();
    const n = 20_000;
    const p = new Process({ target: mixedBurst, args: [a, b, n] });
    p.start();
    const fromA: unknown[] = [];
    for (let item = await a.get(); item !== null; item = await a.get()) fromA.push(item);
    const fromB: unknown[] = [];
    for (let item = await b.get(); item !== null; item = await b.get()) fromB.push(item);
    await p.join();
    expect(p.exitcode).toBe(0);
    expect(fromA.slice(0, n)).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(fromA.slice(n, n + 50)).toEqual(Array.from({ length: 50 }, (_, i) => `x${2 * i}`));
    expect(fromB).toEqual(Array.from({ length: 50 }, (_, i) => `x${2 * i + 1}`));
    const tail = fromA.slice(n + 50);
    expect(tail).toHaveLength(7);
    expect(tail[0]).toBe('before');
    expect(tail[1]).toBeUndefined();
    expect(tail[2]).toEqual(new Date(5));
    expect(tail[3]).toEqual(new Map([[1, 'one']]));
    expect(Object.is(tail[4], -0)).toBe(true);
    expect(tail.slice(5)).toEqual(['after', { nested: ['é', 1] }]);
    expect(a.qsize()).toBe(0);
  }, 30_000);
});
