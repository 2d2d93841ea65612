/**
 * Registered names seen from workers (DESIGN §3.2): `ctx.system.get(name)` in a worker actor
 * answers synchronously from the host's replica of the name table, with the ref of the actor that
 * holds the name now (its real id, never a `name:` forwarding address) or undefined. Test names
 * are xstate v5's system.test cases, with systemId read as our registered name.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ActorRef, Placement, Supervisor, System } from 'troupe';
import { NameReader, ReaderParent, type Seen } from './fixtures/owners.js';
import { Worker } from './fixtures/sup-workers.js';
import { testSystem } from './helpers.js';

let system: System;
const started: Array<{ stop(): Promise<void> }> = [];

beforeAll(async () => {
  system = await testSystem();
});

afterEach(async () => {
  for (const thing of started.splice(0).reverse()) await thing.stop();
});

afterAll(async () => {
  await system.shutdown();
});

async function spawn(...args: Parameters<System['spawn']>): Promise<ActorRef> {
  const ref = await system.spawn(...args);
  started.push(ref);
  return ref;
}

const read = (reader: ActorRef, name: string): Promise<Seen> => reader.ask<Seen>({ type: 'get', name });

describe.each<Placement>(['shared', 'exclusive'])('system.get from a worker actor (%s)', (placement) => {
  it('should register a spawned actor: get answers the holder\'s real id, registered before or after the worker started', async () => {
    const early = await spawn(Worker, { name: `early-${placement}`, args: ['early'], placement: 'main' });
    const reader = await spawn(NameReader, { args: ['nobody'], placement });
    const late = await spawn(Worker, { name: `late-${placement}`, args: ['late'] });
    expect(await read(reader, `early-${placement}`)).toEqual({ id: early.id, name: `early-${placement}` });
    expect(await read(reader, `late-${placement}`)).toEqual({ id: late.id, name: `late-${placement}` });
    expect((await read(reader, `late-${placement}`))!.id.startsWith('name:')).toBe(false);
    expect(await read(reader, 'nobody')).toBeNull();
  });

  it('should remove spawned actor from receptionist if stopped: get answers undefined once the holder exited', async () => {
    const reader = await spawn(NameReader, { args: ['nobody'], placement });
    const holder = await system.spawn(Worker, { name: `gone-${placement}`, args: ['gone'] });
    expect(await read(reader, `gone-${placement}`)).toEqual({ id: holder.id, name: `gone-${placement}` });
    await holder.stop();
    expect(await read(reader, `gone-${placement}`)).toBeNull();
    // re-bound to a new holder: the replica follows
    const next = await spawn(Worker, { name: `gone-${placement}`, args: ['next'] });
    expect(await read(reader, `gone-${placement}`)).toEqual({ id: next.id, name: `gone-${placement}` });
  });
});

describe('Ancestors are visible from a child\'s init', () => {
  it.each<[Placement, Placement]>([
    ['shared', 'shared'],
    ['main', 'shared'],
    ['shared', 'exclusive'],
  ])('should be able to send an event to an ancestor with a registered systemId from an initial entry action (parent %s, child %s)', async (parentAt, childAt) => {
    const name = `ancestor-${parentAt}-${childAt}`;
    const parent = await spawn(ReaderParent, { name, args: [name, childAt], placement: parentAt });
    const child = await parent.ask<ActorRef>({ type: 'child' });
    expect(await child.ask({ type: 'atInit' })).toEqual({ id: parent.id, name });
  });

  it("a supervisor's registered name is visible from its children's init on workers", async () => {
    const sup: Supervisor = await system.supervise({ name: 'reader-app', children: [{ id: 'r', start: NameReader, args: ['reader-app'] }] });
    started.push(sup);
    const [row] = await sup.whichChildren();
    expect(await (row!.pid as ActorRef).ask({ type: 'atInit' })).toEqual({ id: sup.ref!.id, name: 'reader-app' });
  });
});
