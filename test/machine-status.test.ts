/**
 * xstate machines are watched at all times, not only while a message is handled (DESIGN §3.1):
 * an error exits the actor `error` at once, a final state — reached by a message, a delayed
 * transition or restored from a snapshot — exits it `normal` with `detail` = the output. Test
 * names are the xstate v5 tests (packages/core/test) that state the machine-side behaviour.
 */
import { createActor } from 'xstate';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ActorRef, Placement, System } from 'troupe';
import { DelayedDone, InvokeRejects, RestoringParent, Totaller, totaller } from './fixtures/machines.js';
import { testSystem } from './helpers.js';

let system: System;
const started: ActorRef[] = [];

beforeAll(async () => {
  system = await testSystem();
});

afterEach(async () => {
  for (const ref of started.splice(0).reverse()) await ref.stop();
});

afterAll(async () => {
  await system.shutdown();
});

/** A persisted snapshot of `totaller` in its final state. */
function finalSnapshot(): unknown {
  const actor = createActor(totaller).start();
  actor.send({ type: 'go' });
  const snapshot = actor.getPersistedSnapshot();
  actor.stop();
  return JSON.parse(JSON.stringify(snapshot));
}

describe.each<Placement>(['main', 'shared'])('machine status watched (%s)', (placement) => {
  it('errors.test "unhandled rejection of a promise actor should be reported to the existing error listener of its parent": the actor exits error at once, no message needed', async () => {
    const ref = await system.spawn(InvokeRejects, { placement });
    const reason = await ref.exited;
    expect(reason.kind).toBe('error');
    expect((reason.error as Error).message).toBe('invoked promise rejected');
  });

  it('after.test "should be able to transition with delay from nested initial state": the final state exits normal with the output as detail', async () => {
    const ref = await system.spawn(DelayedDone, { placement });
    expect(await ref.exited).toEqual({ kind: 'normal', detail: { via: 'after' } });
  });

  it('final state reached by a message exits normal with the output as detail', async () => {
    const ref = await system.spawn(Totaller, { placement });
    ref.send({ type: 'go' });
    expect(await ref.exited).toEqual({ kind: 'normal', detail: { total: 42 } });
  });

  it('rehydration.test "should complete on a rehydrated final state": spawn({ snapshot }) of a final snapshot exits normal with the output', async () => {
    const snapshot = finalSnapshot();
    expect(snapshot).toMatchObject({ status: 'done', output: { total: 42 } });
    const ref = await system.spawn(Totaller, { placement, snapshot });
    expect(await ref.exited).toEqual({ kind: 'normal', detail: { total: 42 } });
  });

  it('rehydration.test "a rehydrated done child should not re-notify the parent about its completion": a child restored final exits normal and its parent lives on', async () => {
    const parent = await system.spawn(RestoringParent, { placement, args: [finalSnapshot(), placement] });
    started.push(parent);
    const child = await parent.ask<ActorRef>({ type: 'child' });
    expect(await child.exited).toEqual({ kind: 'normal', detail: { total: 42 } });
    // the parent was not taken down by a link to an actor that had already exited
    expect((await parent.ask<ActorRef>({ type: 'child' })).id).toBe(child.id);
  });
});
