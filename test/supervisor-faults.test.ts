import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createSystem, type ActorRef, type Supervisor, type System } from 'troupe';
import 'troupe/multiprocessing';
import { collectEvents, crash, kill, killHost, waitForExit, waitForRestart } from 'troupe/testing';
import { Worker } from './fixtures/sup-workers.js';

let system: System | undefined;

afterEach(async () => {
  await system?.shutdown();
  system = undefined;
});

async function start(hosts: number): Promise<System> {
  system = await createSystem({ hosts, logger: pino({ level: 'silent' }) });
  return system;
}

async function refOf(sup: Supervisor, id: string): Promise<ActorRef> {
  const row = (await sup.whichChildren()).find((r) => r.id === id);
  if (!row || row.pid === null || row.pid === 'restarting') throw new Error(`child ${id} is not running`);
  return row.pid;
}

describe('Supervisors and worker deaths', () => {
  it('restarts every child a dead worker took down on a live worker, and leaves the others alone', async () => {
    const system = await start(1);
    const sup = await system.supervise({
      strategy: 'one_for_one',
      intensity: 5,
      children: [
        { id: 'a', start: Worker, args: ['a'] },
        { id: 'b', start: Worker, args: ['b'] },
        { id: 'm', start: Worker, args: ['m'], placement: 'main' },
      ],
    });
    const [a, b, m] = await Promise.all(['a', 'b', 'm'].map((id) => refOf(sup, id)));
    const bystander = await system.spawn(Worker, { args: ['bystander'] });
    const oldThread = await a!.ask({ type: 'thread' });
    const { events, stop } = collectEvents(sup);
    const restarted = waitForRestart(sup, 'b', { timeout: 15_000 });
    await killHost(a!);
    expect(await waitForExit(a!)).toMatchObject({ kind: 'killed' });
    expect(await waitForExit(b!)).toMatchObject({ kind: 'killed' });
    expect(await waitForExit(bystander)).toMatchObject({ kind: 'killed' });
    const b2 = await restarted;
    stop();
    expect(events.map((e) => `${e.type}:${e.id}`)).toEqual(['exited:a', 'restarted:a', 'exited:b', 'restarted:b']);
    const a2 = await refOf(sup, 'a');
    expect(await a2.ask({ type: 'ping' })).toBe('a');
    expect(await b2.ask({ type: 'ping' })).toBe('b');
    expect(await a2.ask({ type: 'thread' })).not.toBe(oldThread);
    expect((await refOf(sup, 'm')).id).toBe(m!.id);
  }, 30_000);

  it('treats a killed child (as if its host died) like any abnormal exit', async () => {
    const system = await start(2);
    const sup = await system.supervise({ strategy: 'one_for_one', children: [{ id: 'k', start: Worker, args: ['k'], restart: 'transient' }] });
    const k = await refOf(sup, 'k');
    const restarted = waitForRestart(sup, 'k');
    await kill(k);
    expect((await waitForExit(k)).kind).toBe('killed');
    expect(await (await restarted).ask({ type: 'ping' })).toBe('k');
  });
});

describe('simple_one_for_one at scale', () => {
  it('supervises 1000 dynamic children on workers, restarts the crashed ones and stops them all', async () => {
    const system = await start(2);
    const sup = await system.supervise({ strategy: 'simple_one_for_one', intensity: 10, children: [{ id: 'conn', start: Worker, shutdown: 2000 }] });
    const refs = (await Promise.all(Array.from({ length: 1000 }, (_, i) => sup.startChild([`c${i}`])))).map((r) => r.pid!);
    expect(new Set(refs.map((r) => r.id)).size).toBe(1000);
    expect(await sup.countChildren()).toEqual({ specs: 1, active: 1000, supervisors: 0, workers: 1000 });
    expect(await refs[999]!.ask({ type: 'ping' })).toBe('c999');
    for (const i of [3, 500, 998]) {
      const restarted = waitForRestart(sup, 'conn');
      await crash(refs[i]!);
      expect(await (await restarted).ask({ type: 'ping' })).toBe(`c${i}`);
    }
    expect(await sup.countChildren()).toMatchObject({ active: 1000 });
    const live = (await sup.whichChildren()).map((row) => row.pid as ActorRef);
    await sup.stop();
    const reasons = await Promise.all(live.map((ref) => waitForExit(ref)));
    expect(reasons.every((reason) => reason.kind === 'shutdown')).toBe(true);
  }, 30_000);
});

describe('Function children (Process targets)', () => {
  it('runs a function child as a Process, restarts it when killed and terminates it at stop', async () => {
    const system = await start(1);
    const sup = await system.supervise({
      strategy: 'one_for_one',
      children: [{ id: 'job', start: (ms: number) => new Promise((resolve) => setTimeout(resolve, ms)), args: [60_000], shutdown: 1000 }],
    });
    const job = await refOf(sup, 'job');
    const restarted = waitForRestart(sup, 'job', { timeout: 15_000 });
    await kill(job);
    expect((await waitForExit(job)).kind).toBe('killed');
    const job2 = await restarted;
    expect(job2.id).not.toBe(job.id);
    await sup.stop();
    expect((await waitForExit(job2)).kind).not.toBe('normal');
  }, 30_000);

  it('does not restart a transient function child that returned normally', async () => {
    const system = await start(1);
    const sup = await system.supervise({ strategy: 'one_for_one', children: [{ id: 'once', start: (x: number) => x * 2, args: [21], restart: 'transient' }] });
    const { events } = collectEvents(sup);
    const rows = await sup.whichChildren();
    const once = rows[0]!.pid;
    if (once !== null && once !== 'restarting') expect((await waitForExit(once)).kind).toBe('normal');
    await sup.countChildren();
    expect(await sup.whichChildren()).toEqual([{ id: 'once', pid: null, type: 'worker' }]);
    expect(events.filter((e) => e.type === 'restarted')).toEqual([]);
  }, 30_000);
});
