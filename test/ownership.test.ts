/**
 * Owned children (DESIGN §3.1): an actor's ctx.spawn children — and theirs — are stopped with
 * `shutdown`, and their names freed, before the actor's own exit is reported, whatever ended it.
 * xstate does the same for spawned children ("stopping a parent cascades to its children"), Akka
 * too; OTP's `shutdown` protocol is the reason children get. Links still carry abnormal exits.
 */
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSystem, type ActorRef, type ExitReason, type Placement, type System } from 'troupe';
import { kill, killHost } from 'troupe/testing';
import { Owner, type OwnedPlan } from './fixtures/owners.js';
import { Recorder, Worker } from './fixtures/sup-workers.js';

let system: System;
const started: ActorRef[] = [];

beforeAll(async () => {
  system = await createSystem({ hosts: 2, logger: pino({ level: 'silent' }) });
});

afterEach(async () => {
  for (const ref of started.splice(0).reverse()) await ref.stop();
});

afterAll(async () => {
  await system.shutdown();
});

/** parent → a (main), b (shared) → g (shared): every one registered. */
const tree = (childPlacement: Placement = 'shared'): OwnedPlan => ({
  tag: 'parent',
  children: [
    { tag: 'a', name: 'own-a', placement: 'main' },
    { tag: 'b', name: 'own-b', placement: childPlacement, children: [{ tag: 'g', name: 'own-g', placement: childPlacement }] },
  ],
});
const CHILD_NAMES = ['own-a', 'own-b', 'own-g'];

interface Tree {
  parent: ActorRef;
  a: ActorRef;
  b: ActorRef;
  g: ActorRef;
  /** exits in the order their `exited` promises resolved */
  order: string[];
  /** the children's names as system.get saw them when the parent's `exited` resolved */
  namesAtParentExit: Promise<Array<string | undefined>>;
}

async function spawnTree(placement: Placement, plan: OwnedPlan = tree()): Promise<Tree> {
  const recorder = await system.spawn(Recorder, { placement: 'main' });
  started.push(recorder);
  const parent = await system.spawn(Owner, { name: 'owner', placement, args: [plan, recorder] });
  const [a, b] = await parent.ask<ActorRef[]>({ type: 'kids' });
  const [g] = await b!.ask<ActorRef[]>({ type: 'kids' });
  const order: string[] = [];
  const refs = { parent, a: a!, b: b!, g: g! };
  for (const [tag, ref] of Object.entries(refs)) void ref.exited.then((reason) => order.push(`${tag}:${reason.kind}`));
  const namesAtParentExit = parent.exited.then(() => CHILD_NAMES.map((name) => system.get(name)?.id));
  return { ...refs, order, namesAtParentExit };
}

async function expectChildrenStoppedFirst(t: Tree, parentKind: ExitReason['kind']): Promise<void> {
  expect((await t.parent.exited).kind).toBe(parentKind);
  expect(await t.namesAtParentExit).toEqual([undefined, undefined, undefined]);
  expect(system.get('owner')).toBeUndefined();
  expect([...t.order].sort()).toEqual(['a:shutdown', 'b:shutdown', 'g:shutdown', `parent:${parentKind}`].sort());
  expect(t.order.at(-1)).toBe(`parent:${parentKind}`);
  expect(t.order.indexOf('g:shutdown')).toBeLessThan(t.order.indexOf('b:shutdown'));
}

describe.each<Placement>(['main', 'shared'])('Owned children of a parent placed in %s', (placement) => {
  it('ref.stop() stops its children and grandchildren first with shutdown, their names free before its exit resolves', async () => {
    const t = await spawnTree(placement);
    await t.parent.stop();
    await expectChildrenStoppedFirst(t, 'normal');
    // the names are free for new actors at once
    const again = await system.spawn(Worker, { name: 'own-b', args: ['again'] });
    started.push(again);
    expect(system.get('own-b')?.id).toBe(again.id);
  });

  it('ctx.stop() stops its children first, the same way', async () => {
    const t = await spawnTree(placement);
    t.parent.send({ type: 'stop', reason: { kind: 'shutdown', detail: 'done' } });
    await expectChildrenStoppedFirst(t, 'shutdown');
  });

  it('a crash stops its children with shutdown (not the crash reason) before the error is reported', async () => {
    const t = await spawnTree(placement);
    t.parent.send({ type: 'boom' });
    await expectChildrenStoppedFirst(t, 'error');
    expect(((await t.parent.exited).error as Error).message).toBe('owner boom');
  });

  it('a kill (no onStop) still stops its children with shutdown first', async () => {
    const t = await spawnTree(placement);
    await kill(t.parent);
    await expectChildrenStoppedFirst(t, 'killed');
  });
});

describe('Owned children and hosts', () => {
  it("a parent killed with its worker stops its children living elsewhere with shutdown", async () => {
    const t = await spawnTree('shared', tree('main'));
    await killHost(t.parent);
    await expectChildrenStoppedFirst(t, 'killed');
  });
});

describe('Links keep propagating abnormal exits', () => {
  it.each<Placement>(['main', 'shared'])("a child's crash kills its parent (%s), which then stops its other children with shutdown", async (placement) => {
    const recorder = await system.spawn(Recorder, { placement: 'main' });
    started.push(recorder);
    const plan: OwnedPlan = { tag: 'p', children: [{ tag: 'x' }, { tag: 'y' }] };
    const parent = await system.spawn(Owner, { placement, args: [plan, recorder] });
    const [x, y] = await parent.ask<ActorRef[]>({ type: 'kids' });
    x!.send({ type: 'boom' });
    const reason = await parent.exited;
    expect(reason.kind).toBe('error');
    expect((reason.error as Error).message).toBe('boom');
    expect((await x!.exited).kind).toBe('error');
    expect((await y!.exited).kind).toBe('shutdown');
  });

  it('a crashing parent kills the actors it linked to, while its owned children get shutdown', async () => {
    const recorder = await system.spawn(Recorder, { placement: 'main' });
    started.push(recorder);
    const peer = await system.spawn(Worker, { args: ['peer'] });
    const parent = await system.spawn(Owner, { args: [{ tag: 'p', children: [{ tag: 'owned' }] }, recorder] });
    const [owned] = await parent.ask<ActorRef[]>({ type: 'kids' });
    await parent.ask({ type: 'linkTo', ref: peer });
    parent.send({ type: 'boom' });
    expect((await peer.exited).kind).toBe('error');
    expect((await owned!.exited).kind).toBe('shutdown');
  });
});
