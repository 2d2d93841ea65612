import { afterEach, describe, expect, it } from 'vitest';
import { AskTimeoutError, defineActor, NameTakenError, NoProcError, SerializationError, ValueError, type System } from 'troupe';
import { Counter } from './fixtures/actors.js';
import { Finisher, Toggle } from './fixtures/machines.js';
import { systemOf } from '../src/system/system.js';
import { testSystem } from './helpers.js';

let system: System;
afterEach(async () => {
  await system?.shutdown();
});

describe('actors', () => {
  it.each(['main', 'shared'] as const)('processes messages in order and answers asks (%s placement)', async (placement) => {
    system = await testSystem();
    const counter = await system.spawn(Counter, { args: [5], placement });
    for (let i = 0; i < 100; i++) counter.send({ type: 'inc', by: 1 });
    expect(await counter.ask({ type: 'get' })).toBe(105);
  });

  it('keeps order across async handlers', async () => {
    system = await testSystem();
    const counter = await system.spawn(Counter, { args: [0], placement: 'main' });
    const slow = counter.ask({ type: 'slowGet', ms: 20 });
    counter.send({ type: 'inc', by: 3 });
    expect(await slow).toBe(0);
    expect(await counter.ask({ type: 'get' })).toBe(3);
  });

  it.each(['main', 'shared'] as const)('exits with an error when a handler throws, and later sends are dead letters (%s placement)', async (placement) => {
    system = await testSystem();
    const counter = await system.spawn(Counter, { args: [0], placement });
    counter.send({ type: 'inc', by: 1 }); // in main, this ref now remembers the live cell
    const dead: unknown[] = [];
    system.on('deadLetter', (letter) => dead.push(letter.message));
    counter.send({ type: 'boom' });
    const reason = await counter.exited;
    expect(reason.kind).toBe('error');
    expect((reason.error as Error).message).toBe('boom');
    expect(() => counter.send({ type: 'inc' })).not.toThrow();
    await expect(counter.ask({ type: 'get' })).rejects.toBeInstanceOf(NoProcError);
    expect(dead).toContainEqual({ type: 'inc' });
  });

  it('rejects an ask with AskTimeoutError and drops the late reply', async () => {
    system = await testSystem();
    const counter = await system.spawn(Counter, { args: [1], placement: 'main' });
    await expect(counter.ask({ type: 'slowGet', ms: 200 }, { timeout: 20 })).rejects.toBeInstanceOf(AskTimeoutError);
    expect(await counter.ask({ type: 'get' })).toBe(1);
  });

  it('rejects an ask in flight when its actor crashes', async () => {
    system = await testSystem();
    const counter = await system.spawn(Counter, { args: [1] });
    counter.send({ type: 'boom' });
    await expect(counter.ask({ type: 'get' })).rejects.toBeInstanceOf(NoProcError);
  });

  it('registers unique names, frees them at exit', async () => {
    system = await testSystem();
    const a = await system.spawn(Counter, { name: 'counter', placement: 'main' });
    expect(system.get('counter')?.id).toBe(a.id);
    await expect(system.spawn(Counter, { name: 'counter' })).rejects.toBeInstanceOf(NameTakenError);
    await a.stop();
    expect(system.get('counter')).toBeUndefined();
    const b = await system.spawn(Counter, { name: 'counter', placement: 'main' });
    expect(system.get('counter')?.id).toBe(b.id);
  });

  it('sends refs inside messages to actors on other workers', async () => {
    system = await testSystem({ hosts: 2 });
    const a = await system.spawn(Counter, { args: [0] });
    const b = await system.spawn(Counter, { args: [10] });
    a.send({ type: 'forward', to: b, payload: { type: 'inc', by: 5 } });
    await a.ask({ type: 'get' });
    expect(await b.ask({ type: 'get' })).toBe(15);
  });

  it('rejects unserialisable messages to other threads with SerializationError', async () => {
    system = await testSystem();
    const counter = await system.spawn(Counter, { args: [0] });
    expect(() => counter.send({ type: 'inc', by: () => 1 })).toThrow(SerializationError);
    expect(await counter.ask({ type: 'get' })).toBe(0);
  });

  it.each(['main', 'shared'] as const)('answers a message to an exited actor (%s) as a dead letter / NoProcError, even one that could not cross threads', async (placement) => {
    system = await testSystem();
    const counter = await system.spawn(Counter, { args: [0], placement });
    await counter.stop();
    const dead: unknown[] = [];
    system.on('deadLetter', (letter) => dead.push(letter.message));
    const unclonable = { type: 'inc', by: () => 1 };
    expect(() => counter.send(unclonable)).not.toThrow();
    await expect(counter.ask(unclonable)).rejects.toBeInstanceOf(NoProcError);
    expect(dead).toEqual([unclonable, unclonable]);
  });

  it('fails the spawn when init throws, with the error', async () => {
    system = await testSystem();
    await expect(system.spawn(Failing, { placement: 'main' })).rejects.toThrow('init failed');
  });

  it('rejects bad spawn input with typed errors that say what to do', async () => {
    system = await testSystem();
    await expect(system.spawn({} as never)).rejects.toBeInstanceOf(ValueError);
    await expect(system.spawn(Counter, { placement: 'moon' as never })).rejects.toThrow(/placement must be/);
    await expect(system.spawn(Counter, { args: 3 as never })).rejects.toThrow(/args/);
    expect(() => defineActor({ receive: { a: 1 as never } })).toThrow(/handler for message type "a"/);
    await expect(system.spawn(Unexported)).rejects.toThrow(/not exported/);
    expect(await (await system.spawn(Counter, { placement: 'main', args: [2] })).ask({ type: 'get' })).toBe(2);
  });

  it('restores a persisted snapshot instead of running init', async () => {
    system = await testSystem();
    const a = await system.spawn(Counter, { args: [7] });
    a.send({ type: 'persist' });
    await a.ask({ type: 'get' });
    const b = await system.spawn(Counter, { args: [0], snapshot: { n: 7 } });
    expect(await b.ask({ type: 'get' })).toBe(7);
  });
});

describe('xstate machines', () => {
  it.each(['main', 'shared'] as const)('runs a machine as an actor (%s)', async (placement) => {
    system = await testSystem();
    const toggle = await system.spawn(Toggle, { placement });
    toggle.send({ type: 'toggle' });
    toggle.send({ type: 'toggle' });
    expect(await toggle.ask({ type: 'read' })).toEqual({ flips: 2, entries: 1 });
  });

  it('exits the actor (not the host) when a machine action throws', async () => {
    system = await testSystem({ hosts: 1 });
    const bad = await system.spawn(Toggle);
    const good = await system.spawn(Toggle);
    bad.send({ type: 'fail' });
    const reason = await bad.exited;
    expect(reason.kind).toBe('error');
    expect((reason.error as Error).message).toBe('machine action failed');
    good.send({ type: 'toggle' });
    expect(await good.ask({ type: 'read' })).toMatchObject({ flips: 1 });
  });

  it('restores a persisted machine snapshot without replaying entry actions', async () => {
    system = await testSystem();
    const first = await system.spawn(Toggle);
    first.send({ type: 'toggle' });
    first.send({ type: 'persist' });
    await first.ask({ type: 'read' });
    const snapshot = systemOf(system).snapshotOf(first.id);
    expect(snapshot).toMatchObject({ value: 'on', context: { flips: 1, entries: 1 } });
    const restored = await system.spawn(Toggle, { snapshot });
    expect(await restored.ask({ type: 'read' })).toEqual({ flips: 1, entries: 1 });
  });

  it('stops normally when the machine reaches a final state', async () => {
    system = await testSystem();
    const f = await system.spawn(Finisher, { placement: 'main' });
    f.send({ type: 'go' });
    expect((await f.exited).kind).toBe('normal');
  });
});

export const Failing = defineActor({
  init: () => {
    throw new Error('init failed');
  },
  receive: {},
});

const Unexported = defineActor({ receive: { a: (s) => s } });
