import { afterAll, describe, expect, it } from 'vitest';
import { Pipe, Queue, ValueError, wait } from 'troupe/multiprocessing';
import type { QueueStats } from '../actors/queue-server/protocol.js';
import { mainSystem } from '../src/default-system.js';

afterAll(() => mainSystem().shutdown());

describe('wait()', () => {
  it('resolves the ready subset, in the given order', async () => {
    const [a, b] = Pipe();
    const [, d] = Pipe();
    const q = new Queue();
    const idle = new Queue();
    const settled = Promise.resolve(0);
    a.send(1);
    await q.put('x');
    const ready = await wait([b, d, q, idle, settled]);
    expect(ready).toHaveLength(3);
    expect(ready[0]).toBe(b);
    expect(ready[1]).toBe(q);
    expect(ready[2]).toBe(settled);
  });

  it('waits until something becomes ready and cancels the polls it no longer needs', async () => {
    const [a, b] = Pipe();
    const [, d] = Pipe();
    const q = new Queue();
    const waiting = wait([b, d, q]);
    a.send('now');
    expect(await waiting).toEqual([b]);
    const stats: QueueStats = await mainSystem().ref(q.id).ask({ type: 'stats' });
    expect(stats.waiters).toBe(0);
  });

  it('treats a sentinel (any Promise) as ready once it settled', async () => {
    let exit!: (code: number) => void;
    const sentinel = new Promise<number>((resolve) => (exit = resolve));
    const failed = Promise.reject(new Error('x'));
    failed.catch(() => {});
    const waiting = wait([sentinel]);
    exit(0);
    expect(await waiting).toEqual([sentinel]);
    expect(await wait([failed])).toEqual([failed]);
  });

  it('reports EOF as ready (recv() would not block)', async () => {
    const [a, b] = Pipe();
    const waiting = wait([b]);
    a.close();
    expect(await waiting).toEqual([b]);
  });

  it('resolves [] after the timeout when nothing is ready, and [] at once for no objects', async () => {
    const [, b] = Pipe();
    expect(await wait([b], 20)).toEqual([]);
    expect(await wait([])).toEqual([]);
  });

  it('rejects ValueError for objects it cannot wait on', async () => {
    await expect(wait([42])).rejects.toBeInstanceOf(ValueError);
    await expect(wait([Promise.resolve()], 'soon' as never)).rejects.toBeInstanceOf(ValueError);
  });

  it('treats a negative timeout as 0, as Python does: wait, poll and join return at once', async () => {
    const [a, b] = Pipe();
    expect(await wait([b], -1)).toEqual([]);
    expect(await b.poll(-1)).toBe(false);
    a.send('x');
    expect(await wait([b], -5)).toEqual([b]);
    expect(await b.poll(-1)).toBe(true);
  });
});
