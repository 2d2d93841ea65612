// Main's own code reaches a queue server beside it directly (src/multiprocessing/server-here.ts):
// these tests hold that path to what messages would give — order, nothing lost, nothing twice.
import { afterAll, describe, expect, it } from 'vitest';
import { Empty, JoinableQueue, Pipe, Process, Queue } from 'troupe/multiprocessing';
import type { QueueStats } from '../actors/queue-server/protocol.js';
import { mainSystem } from '../src/default-system.js';
import { QueueUser } from './fixtures/queue-actors.js';
import { evenno } from './fixtures/queue-targets.js';

afterAll(() => mainSystem().shutdown());

function stats(id: string): Promise<QueueStats> {
  return mainSystem().ref(id).ask({ type: 'stats' });
}

describe("main's own code and the queue server beside it", () => {
  it('a get that answers at once sees the puts sent before it while the server still has messages queued', async () => {
    const q = new JoinableQueue<number>();
    // join() is a message: the server is busy with it until its next turn
    const joined = q.join();
    void q.put(1);
    void q.put(2);
    expect(await q.getNowait()).toBe(1);
    expect(await q.get({ timeout: 0 })).toBe(2);
    await expect(q.getNowait()).rejects.toBeInstanceOf(Empty);
    q.taskDone();
    q.taskDone();
    await joined;
  });

  it('a get waiting in main takes what a Process puts, in order, and leaves nothing handed out', { timeout: 20_000 }, async () => {
    const q = new Queue<number>();
    const p = new Process({ target: evenno, args: [Array.from({ length: 400 }, (_, i) => i), q] });
    p.start();
    const got: number[] = [];
    for (let i = 0; i < 200; i++) got.push(await q.get());
    expect(got).toEqual(Array.from({ length: 200 }, (_, i) => i * 2));
    await p.join();
    expect(p.exitcode).toBe(0);
    expect(await stats(q.id)).toMatchObject({ items: [0], outstanding: 0, waiters: 0 });
    expect(q.qsize()).toBe(0);
  });

  it("main's gets free the slots a Process waits for on a full bounded queue", { timeout: 20_000 }, async () => {
    const q = new Queue<number>(2);
    const p = new Process({ target: evenno, args: [Array.from({ length: 100 }, (_, i) => i), q] });
    p.start();
    const got: number[] = [];
    for (let i = 0; i < 50; i++) got.push(await q.get({ timeout: 10_000 }));
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => i * 2));
    await p.join();
    expect(p.exitcode).toBe(0);
    expect(q.full()).toBe(false);
  });

  it("main's gets and a main actor's gets share the items: none lost, none twice", { timeout: 20_000 }, async () => {
    const q = new Queue<number>();
    const n = 2000;
    for (let i = 0; i < n; i++) void q.put(i);
    const actor = await mainSystem().spawn(QueueUser, { placement: 'main' });
    // the actor's gets are messages and take batches; main's are direct and take from them too
    const theirs = actor.ask<number[]>({ type: 'get', q, n: n / 2 }, { timeout: 10_000 });
    const mine: number[] = [];
    for (let i = 0; i < n / 2; i++) mine.push(await q.get({ timeout: 10_000 }));
    const all = [...mine, ...(await theirs)].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(q.empty()).toBe(true);
    await actor.stop();
  });

  it('a pipe end read in main gets every message sent from main on the other end, then EOF', async () => {
    const [a, b] = Pipe<number>();
    for (let i = 0; i < 100; i++) b.send(i);
    b.close();
    const got: number[] = [];
    for (let i = 0; i < 100; i++) got.push(await a.recv());
    expect(got).toEqual(Array.from({ length: 100 }, (_, i) => i));
    await expect(a.recv()).rejects.toMatchObject({ name: 'EOFError' });
  });
});
