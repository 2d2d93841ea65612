/**
 * Supervisor names (DESIGN §5): a supervisor spec's `name` is its registered name, top level or
 * nested, re-bound when its parent restarts it and freed when it exits; a child whose name is held
 * by an actor outside the supervisor fails with `already_started` and the holder as `pid` (OTP
 * supervisor_SUITE already_started_outside_supervisor; start_link's {error, {already_started, Pid}}).
 */
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSystem, SupervisorError, type ActorRef, type ChildSpec, type Supervisor, type System } from 'troupe';
import { crash, waitForRestart } from 'troupe/testing';
import { supervisorOf } from '../supervisors/index.js';
import { Recorder, Worker } from './fixtures/sup-workers.js';
import { refOf, rejection } from './helpers.js';

let system: System;
const started: Array<{ stop(): Promise<void> }> = [];

beforeAll(async () => {
  system = await createSystem({ hosts: 2, logger: pino({ level: 'silent' }) });
});

afterEach(async () => {
  for (const thing of started.splice(0).reverse()) await thing.stop();
});

afterAll(async () => {
  await system.shutdown();
});

function keep<T extends { stop(): Promise<void> }>(thing: T): T {
  started.push(thing);
  return thing;
}

const worker = (id: string, extra: Partial<ChildSpec> = {}): ChildSpec => ({ id, start: Worker, args: [id], ...extra });

describe('A supervisor spec\'s name is its registered name', () => {
  it('top level: system.get(name) is the supervisor, freed when it exits', async () => {
    const sup = await system.supervise({ name: 'named-top', children: [worker('w')] });
    expect(system.get('named-top')?.id).toBe(sup.ref!.id);
    await sup.stop();
    expect(system.get('named-top')).toBeUndefined();
  });

  it('nested: registered, re-bound when its parent restarts it, freed with the tree', async () => {
    const top = await system.supervise({
      name: 'named-outer',
      intensity: 5,
      children: [{ id: 'inner', start: { name: 'named-inner', intensity: 0, children: [worker('w')] } }],
    });
    const inner = await refOf(top, 'inner');
    expect(system.get('named-inner')?.id).toBe(inner.id);
    expect(system.get('named-outer')?.id).toBe(top.ref!.id);
    // the inner supervisor gives up (intensity 0): its parent restarts it under the same name
    const restarted = waitForRestart(top, 'inner');
    await crash(await refOf(supervisorOf(inner)!, 'w'));
    const inner2 = await restarted;
    expect(inner2.id).not.toBe(inner.id);
    expect(system.get('named-inner')?.id).toBe(inner2.id);
    await top.stop();
    expect(system.get('named-inner')).toBeUndefined();
    expect(system.get('named-outer')).toBeUndefined();
  });

  it("a child spec's name on a nested supervisor takes precedence over the spec's own", async () => {
    const top = keep(await system.supervise({ children: [{ id: 'inner', name: 'inner-alias', start: { name: 'inner-own', children: [] } }] }));
    expect(system.get('inner-alias')?.id).toBe((await refOf(top, 'inner')).id);
    expect(system.get('inner-own')).toBeUndefined();
  });
});

describe('already_started_outside_supervisor', () => {
  it('startChild: a child whose name another actor holds fails with already_started and the holder as pid', async () => {
    const holder = keep(await system.spawn(Worker, { name: 'held-1', args: ['holder'] }));
    const sup = keep(await system.supervise({ children: [] }));
    const error = await rejection(sup.startChild(worker('c', { name: 'held-1' })));
    expect(error.code).toBe('already_started');
    expect(error.pid?.id).toBe(holder.id);
    expect(await sup.whichChildren()).toEqual([]);
    expect(await holder.ask({ type: 'ping' })).toBe('holder');
  });

  it('startChild: a nested supervisor whose name is held fails the same way', async () => {
    const holder = keep(await system.spawn(Worker, { name: 'held-2', args: ['holder'], placement: 'main' }));
    const sup = keep(await system.supervise({ children: [] }));
    const error = await rejection(sup.startChild({ id: 'team', start: { name: 'held-2', children: [] } }));
    expect(error.code).toBe('already_started');
    expect(error.pid?.id).toBe(holder.id);
  });

  it('initial children: supervise() rejects with already_started and stops the children started before', async () => {
    const recorder = keep(await system.spawn(Recorder, { placement: 'main' }));
    const holder = keep(await system.spawn(Worker, { name: 'held-3', args: ['holder'] }));
    const error = await rejection(system.supervise({
      children: [{ id: 'a', start: Worker, args: ['a', recorder] }, worker('c', { name: 'held-3' }), worker('d')],
    }));
    expect(error.code).toBe('already_started');
    expect(error.pid?.id).toBe(holder.id);
    expect(error.message).toContain('"c"');
    expect(await recorder.ask({ type: 'entries', n: 2 })).toEqual(['start:a', 'stop:a:shutdown']);
    expect(await holder.ask({ type: 'ping' })).toBe('holder');
  });

  it("a nested supervisor's child that cannot start fails its parent's start with failed_to_start_child (the cause is already_started)", async () => {
    const holder = keep(await system.spawn(Worker, { name: 'held-4', args: ['holder'] }));
    const error = await rejection(system.supervise({ children: [{ id: 'team', start: { children: [worker('c', { name: 'held-4' })] } }] }));
    expect(error.code).toBe('failed_to_start_child');
    expect((error.cause as SupervisorError).code).toBe('already_started');
    expect((error.cause as SupervisorError).pid?.id).toBe(holder.id);
  });

  it('start_link: a top-level supervisor whose name is held fails with already_started and the holder as pid', async () => {
    const holder = keep(await system.spawn(Worker, { name: 'held-5', args: ['holder'] }));
    const error = await rejection(system.supervise({ name: 'held-5', children: [worker('w')] }));
    expect(error.code).toBe('already_started');
    expect(error.pid?.id).toBe(holder.id);
    expect(system.get('held-5')?.id).toBe(holder.id);
  });
});
