import { describe, expect, it } from 'vitest';
import { NameTakenError, type ActorRef, type SupervisorEvent, type System } from '../../src/index.js';
import { Recorder } from '../fixtures/cluster/actors.js';
import { clusterPerFile, MUST_RUN, NatsServer, NO_NATS, NodeProcess, nextEvent, seen } from './harness.js';

if (NO_NATS && MUST_RUN) it('runs the cluster tests (CI=true)', () => expect.fail(NO_NATS));

describe.skipIf(NO_NATS !== undefined)(`global names and supervisors across nodes${NO_NATS ? ` (skipped: ${NO_NATS})` : ''}`, () => {
  let server: NatsServer;
  let system: System;
  let other: NodeProcess;

  clusterPerFile('names', 'b', (cluster) => {
    ({ server, system } = cluster);
    other = cluster.other!;
  });

  it('finds a global name held on another node with system.get, and refuses to take it twice', async () => {
    const id = await other.command({ t: 'spawn', name: 'cart', global: true });
    await expect.poll(() => system.get('cart')?.id, { timeout: 5000 }).toBe(id);
    const cart = system.get('cart')!;
    expect(cart.name).toBe('cart');
    expect(await cart.ask({ type: 'where' })).toBe('b');
    await expect(system.spawn(Recorder, { name: 'cart', global: true, placement: 'main' })).rejects.toBeInstanceOf(NameTakenError);
    // freed when its holder exits: then this node may take it
    await cart.stop();
    await expect.poll(() => system.get('cart'), { timeout: 5000 }).toBeUndefined();
    const mine = await system.spawn(Recorder, { name: 'cart', global: true, placement: 'main' });
    expect(system.get('cart')?.id).toBe(mine.id);
    await mine.stop();
  });

  it('answers global names in workers too, synchronously', async () => {
    const onWorker = await system.spawn(Recorder, { node: 'b' });
    expect(await onWorker.ask({ type: 'lookup', name: 'basket' }, { timeout: 15_000 })).toBeNull();
    const basket = await system.spawn(Recorder, { name: 'basket', global: true, placement: 'main' });
    await expect.poll(() => onWorker.ask({ type: 'lookup', name: 'basket' }), { timeout: 5000 }).toBe(basket.id);
    await basket.stop();
    await expect.poll(() => onWorker.ask({ type: 'lookup', name: 'basket' }), { timeout: 5000 }).toBeNull();
    await onWorker.stop();
  }, 30_000);

  it('frees the global names of a node that goes down', async () => {
    const doomed = await NodeProcess.start({ url: server.url, cluster: 'names', node: 'doomed-names' });
    await seen(system, 'doomed-names');
    await doomed.command({ t: 'spawn', name: 'session', global: true });
    await expect.poll(() => system.get('session')?.name, { timeout: 5000 }).toBe('session');
    const down = nextEvent(system, 'nodedown', 'doomed-names');
    await doomed.kill();
    await down;
    expect(system.get('session')).toBeUndefined();
    const again = await system.spawn(Recorder, { name: 'session', global: true, placement: 'main' });
    expect(system.get('session')?.id).toBe(again.id);
    await again.stop();
  }, 30_000);

  it("restarts a child with node 'any' on a live node when its node dies", async () => {
    const doomed = await NodeProcess.start({ url: server.url, cluster: 'names', node: 'doomed-any' });
    await seen(system, 'doomed-any');
    // the others hold more actors: 'any' (the least loaded live node) picks the newcomer
    for (let i = 0; i < 3; i++) await other.command({ t: 'spawn' });
    await expect.poll(async () => (await system.nodes()).find((info) => info.node === 'b')?.actors, { timeout: 5000 }).toBeGreaterThanOrEqual(3);
    const sup = await system.supervise({
      strategy: 'one_for_one',
      intensity: 3,
      period: 10_000,
      children: [{ id: 'worker', start: Recorder, placement: 'main', node: 'any' }],
    });
    const before = (await sup.whichChildren())[0]!.pid as ActorRef;
    expect(await before.ask({ type: 'where' })).toBe('doomed-any');
    const events: SupervisorEvent[] = [];
    sup.on('event', (event: SupervisorEvent) => events.push(event));
    await doomed.kill();
    await expect.poll(() => events.some((event) => event.type === 'restarted'), { timeout: 10_000 }).toBe(true);
    expect(events.find((event) => event.type === 'exited')?.reason).toEqual({ kind: 'killed', detail: 'nodedown' });
    const after = (await sup.whichChildren())[0]!.pid as ActorRef;
    expect(after.id).not.toBe(before.id);
    expect(['main', 'b']).toContain(await after.ask({ type: 'where' }));
    await sup.stop();
  }, 30_000);

  it('counts restarts on a named node that is down against the intensity', async () => {
    const doomed = await NodeProcess.start({ url: server.url, cluster: 'names', node: 'doomed-named' });
    await seen(system, 'doomed-named');
    const sup = await system.supervise({
      strategy: 'one_for_one',
      intensity: 1,
      period: 10_000,
      children: [{ id: 'pinned', start: Recorder, placement: 'main', node: 'doomed-named' }],
    });
    const child = (await sup.whichChildren())[0]!.pid as ActorRef;
    expect(await child.ask({ type: 'where' })).toBe('doomed-named');
    const events: SupervisorEvent[] = [];
    sup.on('event', (event: SupervisorEvent) => events.push(event));
    await doomed.kill();
    // its node stays down: each restart fails, and past the intensity the supervisor gives up
    expect(await sup.exited).toMatchObject({ kind: 'shutdown' });
    expect(events.some((event) => event.type === 'restart_failed')).toBe(true);
  }, 30_000);
});
