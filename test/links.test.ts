import { afterEach, describe, expect, it } from 'vitest';
import { type ActorRef, type System } from 'troupe';
import { Counter } from './fixtures/actors.js';
import { Parent, Stopper, Watcher } from './fixtures/linked.js';
import { handlesSettled, liveHandles, testSystem } from './helpers.js';
import { systemOf } from '../src/system/system.js';
import { killHost } from '../src/system/faults.js';

let system: System;
afterEach(async () => {
  await system?.shutdown();
});

describe('monitors and links', () => {
  it('delivers DOWN once with the exit reason, across workers', async () => {
    system = await testSystem();
    const watcher = await system.spawn(Watcher);
    const target = await system.spawn(Counter);
    watcher.send({ type: 'watch', ref: target });
    await watcher.ask({ type: 'log' });
    target.send({ type: 'boom' });
    const log = await watcher.ask<unknown[]>({ type: 'firstEntry' });
    expect(log).toEqual([{ type: 'DOWN', ref: target.id, kind: 'error', error: 'boom' }]);
  });

  it('delivers DOWN with noproc at once when monitoring a dead actor', async () => {
    system = await testSystem();
    const watcher = await system.spawn(Watcher, { placement: 'main' });
    const target = await system.spawn(Counter, { placement: 'main' });
    await target.stop();
    watcher.send({ type: 'watch', ref: target });
    const log = await watcher.ask<unknown[]>({ type: 'firstEntry' });
    expect(log).toEqual([{ type: 'DOWN', ref: target.id, kind: 'noproc', error: undefined }]);
  });

  it('kills a linked child and parent together on an abnormal exit', async () => {
    system = await testSystem();
    const parent = await system.spawn(Parent, { args: [Counter], placement: 'main' });
    const child = await parent.ask<ActorRef>({ type: 'child' });
    child.send({ type: 'boom' });
    expect((await parent.exited).kind).toBe('error');
  });

  it('turns a linked exit into an EXIT message when trapping exits', async () => {
    system = await testSystem();
    const watcher = await system.spawn(Watcher);
    const other = await system.spawn(Stopper);
    watcher.send({ type: 'linkTo', ref: other });
    await watcher.ask({ type: 'log' });
    other.send({ type: 'stopSelf', kind: 'shutdown' });
    const log = await watcher.ask<unknown[]>({ type: 'firstEntry' });
    expect(log).toEqual([{ type: 'EXIT', from: other.id, kind: 'shutdown' }]);
  });

  it('does not propagate a normal exit to a non-trapping linked actor', async () => {
    system = await testSystem();
    const parent = await system.spawn(Parent, { args: [Stopper], placement: 'main' });
    const child = await parent.ask<ActorRef>({ type: 'child' });
    child.send({ type: 'stopSelf' });
    expect((await child.exited).kind).toBe('normal');
    expect(await parent.ask({ type: 'child' })).toMatchObject({ id: child.id });
  });
});

describe('host death', () => {
  it('exits every actor of a dead worker with killed, settles their asks, and leaves other workers alone', async () => {
    system = await testSystem({ hosts: 2 });
    const impl = systemOf(system);
    const a = await system.spawn(Counter, { args: [1] });
    const b = await system.spawn(Counter, { args: [2] });
    const hostA = impl.hostOf(a.id)!;
    const collateral: ActorRef[] = [];
    for (let i = 0; i < 4; i++) {
      const ref = await system.spawn(Counter, { args: [i] });
      if (impl.hostOf(ref.id) === hostA) collateral.push(ref);
    }
    const survivor = impl.hostOf(b.id) === hostA ? undefined : b;
    const pending = a.ask({ type: 'slowGet', ms: 10_000 }, { timeout: 60_000 });
    void killHost(impl, a.id);
    await expect(pending).rejects.toThrow();
    expect((await a.exited).kind).toBe('killed');
    for (const ref of collateral) expect((await ref.exited).kind).toBe('killed');
    if (survivor) expect(await survivor.ask({ type: 'get' })).toBe(2);
    const replacement = await system.spawn(Counter, { args: [9] });
    expect(await replacement.ask({ type: 'get' })).toBe(9);
  });

  it('recovers a shared host blocked by an endless handler (watchdog)', async () => {
    system = await testSystem({ hosts: 1, watchdog: 1500 });
    const neighbour = await system.spawn(Counter, { args: [5] });
    const looping = await system.spawn(Counter, { args: [0] });
    expect(await neighbour.ask({ type: 'get' })).toBe(5);
    looping.send({ type: 'spin' });
    expect((await looping.exited).kind).toBe('killed');
    expect((await neighbour.exited).kind).toBe('killed');
    const fresh = await system.spawn(Counter, { args: [3] });
    expect(await fresh.ask({ type: 'get' })).toBe(3);
  }, 20_000);
});

describe('shutdown', () => {
  it('stops actors in reverse start order and leaves no worker, port or timer behind', async () => {
    const before = liveHandles().length;
    system = await testSystem();
    const order: string[] = [];
    const refs: ActorRef[] = [];
    for (let i = 0; i < 3; i++) refs.push(await system.spawn(Counter, { args: [i], placement: i === 1 ? 'main' : 'shared' }));
    refs.forEach((ref, i) => void ref.exited.then(() => order.push(`c${i}`)));
    await system.shutdown();
    expect(order).toEqual(['c2', 'c1', 'c0']);
    const after = await handlesSettled(before);
    expect(after.length, after.join(',')).toBeLessThanOrEqual(before);
  });
});
