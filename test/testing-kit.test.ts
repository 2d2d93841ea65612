import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AskTimeoutError, createSystem, NoProcError, TimeoutError, ValueError, type ActorRef, type System } from 'troupe';
import { collectEvents, crash, hang, kill, killHost, waitForExit, waitForRestart } from 'troupe/testing';
import { Recorder, Worker } from './fixtures/sup-workers.js';

let system: System;

beforeAll(async () => {
  system = await createSystem({ hosts: 2, logger: pino({ level: 'silent' }) });
});

afterAll(async () => {
  await system.shutdown();
});

describe('crash', () => {
  it('makes an actor on a worker throw the given error on its next turn', async () => {
    const ref = await system.spawn(Worker, { args: ['w'] });
    await crash(ref, new RangeError('injected'));
    const reason = await waitForExit(ref);
    expect(reason.kind).toBe('error');
    expect(reason.error).toBeInstanceOf(RangeError);
    expect((reason.error as Error).message).toBe('injected');
  });

  it('rejects NoProcError for an actor that is gone', async () => {
    const ref = await system.spawn(Worker, { args: ['gone'], placement: 'main' });
    await ref.stop();
    await expect(crash(ref)).rejects.toBeInstanceOf(NoProcError);
  });
});

describe('kill', () => {
  it('ends the actor as killed without running its onStop', async () => {
    const recorder = await system.spawn(Recorder, { placement: 'main' });
    const ref = await system.spawn(Worker, { args: ['k', recorder], placement: 'main' });
    await kill(ref);
    expect(await waitForExit(ref)).toMatchObject({ kind: 'killed' });
    expect(await recorder.ask({ type: 'entries' })).toEqual(['start:k']);
    await recorder.stop();
  });
});

describe('killHost', () => {
  it('terminates the whole worker: its actors exit killed, actors on other workers live on', async () => {
    const refs: ActorRef[] = [];
    for (let i = 0; i < 6; i++) refs.push(await system.spawn(Worker, { args: [`w${i}`] }));
    const threads = await Promise.all(refs.map((ref) => ref.ask<number>({ type: 'thread' })));
    const busiest = threads.find((t) => threads.filter((u) => u === t).length > 1)!;
    const sameHost = refs.filter((_, i) => threads[i] === busiest);
    const otherHost = refs.filter((_, i) => threads[i] !== busiest);
    const victim = sameHost[0]!;
    expect(otherHost.length).toBeGreaterThan(0);
    await killHost(victim);
    // the fault is in place when killHost resolves: the exits are already reported
    await expect(victim.ask({ type: 'ping' }, { timeout: 1000 })).rejects.toBeInstanceOf(NoProcError);
    for (const ref of sameHost) expect((await waitForExit(ref)).kind).toBe('killed');
    for (const ref of otherHost) expect(await ref.ask({ type: 'ping' })).toMatch(/^w/);
    await Promise.all(otherHost.map((ref) => ref.stop()));
  }, 20_000);

  it('rejects ValueError for an actor in the main thread', async () => {
    const ref = await system.spawn(Worker, { args: ['m'], placement: 'main' });
    await expect(killHost(ref)).rejects.toBeInstanceOf(ValueError);
    await ref.stop();
  });
});

describe('hang', () => {
  it('blocks the handler for the given time, then the actor carries on', async () => {
    const ref = await system.spawn(Worker, { args: ['h'] });
    await hang(ref, 300);
    await expect(ref.ask({ type: 'ping' }, { timeout: 100 })).rejects.toBeInstanceOf(AskTimeoutError);
    expect(await ref.ask({ type: 'ping' }, { timeout: 2000 })).toBe('h');
    await ref.stop();
  });

  it('rejects a bad duration with ValueError', async () => {
    const ref = await system.spawn(Worker, { args: ['h'], placement: 'main' });
    await expect(hang(ref, -1)).rejects.toBeInstanceOf(ValueError);
    await ref.stop();
  });
});

describe('waitForRestart, waitForExit and collectEvents', () => {
  it('collects a supervisor\'s events until stopped and resolves the restarted ref', async () => {
    const sup = await system.supervise({ strategy: 'one_for_one', children: [{ id: 'c', start: Worker, args: ['c'] }] });
    const { events, stop } = collectEvents(sup);
    const [row] = await sup.whichChildren();
    const restarted = waitForRestart(sup, 'c');
    await crash(row!.pid as ActorRef);
    const ref = await restarted;
    expect(await ref.ask({ type: 'ping' })).toBe('c');
    stop();
    await sup.stop();
    expect(events.map((e) => e.type)).toEqual(['exited', 'restarted']);
    expect(events[1]).toMatchObject({ supervisor: 'supervisor', id: 'c', ref: { id: ref.id }, restarts: 1 });
  });

  it('rejects TimeoutError when no restart comes', async () => {
    const sup = await system.supervise({ strategy: 'one_for_one', children: [] });
    await expect(waitForRestart(sup, 'nobody', { timeout: 30 })).rejects.toBeInstanceOf(TimeoutError);
    await sup.stop();
  });

  it('resolves the exit reason of an actor that already exited', async () => {
    const ref = await system.spawn(Worker, { args: ['x'], placement: 'main' });
    ref.send({ type: 'exit', reason: { kind: 'shutdown', detail: 'done' } });
    await waitForExit(ref);
    expect(await waitForExit(ref)).toEqual({ kind: 'shutdown', detail: 'done' });
  });
});
