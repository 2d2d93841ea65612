import { describe, expect, it } from 'vitest';
import { defineActor, NoProcError, type ActorRef, type System } from '../../src/index.js';
import { Lock, Manager, Pipe, Queue } from '../../src/multiprocessing/index.js';
import { Crasher, Recorder } from '../fixtures/cluster/actors.js';
import { clusterPerFile, MUST_RUN, NatsServer, NO_NATS, NodeProcess, nextEvent, seen } from './harness.js';

/** Collects DOWN and EXIT messages it gets, in main. */
export const Watcher = defineActor({
  name: 'Watcher',
  trapExit: true,
  init: (): { got: unknown[] } => ({ got: [] }),
  receive: {
    watch: (state, msg: { ref: ActorRef }, ctx) => {
      ctx.monitor(msg.ref);
      ctx.reply(true);
      return state;
    },
    link: (state, msg: { ref: ActorRef }, ctx) => {
      ctx.link(msg.ref);
      ctx.reply(true);
      return state;
    },
    DOWN: (state, msg) => {
      state.got.push(msg);
      return state;
    },
    EXIT: (state, msg) => {
      state.got.push(msg);
      return state;
    },
    crash: () => {
      throw new Error('watcher crashed');
    },
    got: (state, _msg, ctx) => {
      ctx.reply(state.got);
      return state;
    },
  },
});

if (NO_NATS && MUST_RUN) it('runs the cluster tests (CI=true)', () => expect.fail(NO_NATS));

describe.skipIf(NO_NATS !== undefined)(`refs across nodes${NO_NATS ? ` (skipped: ${NO_NATS})` : ''}`, () => {
  let server: NatsServer;
  let system: System;
  let other: NodeProcess;

  clusterPerFile('refs', 'b', (cluster) => {
    ({ server, system } = cluster);
    other = cluster.other!;
  });

  it('lists the live nodes, this one included', async () => {
    const nodes = await system.nodes();
    expect(nodes.map((info) => info.node).sort()).toEqual(['b', 'main']);
    expect(system.node).toBe('main');
  });

  it('spawns on another node and asks it there', async () => {
    const ref = await system.spawn(Recorder, { node: 'b', placement: 'main' });
    expect(await ref.ask({ type: 'where' })).toBe('b');
    expect(await ref.ask({ type: 'echo', value: { deep: [1, 'two', { three: 3 }] } })).toEqual({ deep: [1, 'two', { three: 3 }] });
    expect(await ref.ask({ type: 'echo', value: new Map([[1, new Uint8Array([1, 2])]]) })).toEqual(new Map([[1, new Uint8Array([1, 2])]]));
    await ref.stop();
    expect(await ref.exited).toEqual({ kind: 'normal' });
  });

  it('keeps the order of messages between two nodes', async () => {
    const ref = await system.spawn(Recorder, { node: 'b', placement: 'main' });
    for (let n = 0; n < 2000; n++) ref.send({ type: 'note', n });
    const seenThere = (await ref.ask({ type: 'seen' })) as number[];
    expect(seenThere).toEqual(Array.from({ length: 2000 }, (_, n) => n));
    await ref.stop();
  });

  it('carries refs between nodes: a remote actor sends to a ref of this node', async () => {
    const here = await system.spawn(Recorder, { placement: 'main' });
    const there = await system.spawn(Recorder, { node: 'b', placement: 'main' });
    there.send({ type: 'tell', to: here, n: 'hello' });
    await expect.poll(() => here.ask({ type: 'seen' }), { timeout: 5000 }).toEqual(['hello']);
    await Promise.all([here.stop(), there.stop()]);
  });

  it('lets a Queue and a Lock travel to another node: their calls run on the node that owns them', async () => {
    const ref = await system.spawn(Recorder, { node: 'b', placement: 'main' });
    const q = new Queue<string>();
    expect(await ref.ask({ type: 'queue', q, item: 'from b' })).toBe(1);
    expect(await q.get()).toBe('from b');
    const lock = new Lock();
    expect(await ref.ask({ type: 'lock', lock })).toBe(true);
    expect(await lock.acquire({ block: false })).toBe(true);
    lock.release();
    await ref.stop();
  });

  it('frees a Lock held by a remote actor when its node goes down', async () => {
    const doomed = await NodeProcess.start({ url: server.url, cluster: 'refs', node: 'doomed-lock' });
    await seen(system, 'doomed-lock');
    const ref = await system.spawn(Recorder, { node: 'doomed-lock', placement: 'main' });
    const lock = new Lock();
    expect(await ref.ask({ type: 'takeLock', lock })).toBe(true);
    // held by that actor, not by this node's main thread
    expect(await lock.acquire({ block: false })).toBe(false);
    const down = nextEvent(system, 'nodedown', 'doomed-lock');
    await doomed.kill();
    await down;
    expect(await lock.acquire({ timeout: 10 })).toBe(true);
    lock.release();
  }, 30_000);

  it('lets Pipe ends and manager proxies travel to another node', async () => {
    const ref = await system.spawn(Recorder, { node: 'b', placement: 'main' });
    const [here, there] = Pipe<string>();
    expect(await ref.ask({ type: 'pipe', conn: there, item: 'through the pipe' })).toBe(true);
    expect(await here.recv()).toBe('through the pipe');
    const manager = await Manager();
    const d = await manager.dict<string, string>();
    expect(await ref.ask({ type: 'dict', d })).toBe('b');
    expect(await d.get('from')).toBe('b');
    await manager.shutdown();
    here.close();
    there.close();
    await ref.stop();
  });

  it('runs a remote actor on a worker of its node, which reaches handles and nodes from there', async () => {
    const ref = await system.spawn(Recorder, { node: 'b' });
    expect(await ref.ask({ type: 'echo', value: 42 }, { timeout: 15_000 })).toBe(42);
    const q = new Queue<string>();
    expect(await ref.ask({ type: 'queue', q, item: 'from a worker of b' })).toBe(1);
    expect(await q.get()).toBe('from a worker of b');
    // a child spawned from that worker on this node
    expect(await ref.ask({ type: 'spawnOn', node: 'main' }, { timeout: 10_000 })).toBe('main');
    await ref.stop();
  }, 30_000);

  it('carries errors across nodes with their class, message and remote stack', async () => {
    const watcher = await system.spawn(Watcher, { placement: 'main' });
    const crasher = await system.spawn(Crasher, { node: 'b', placement: 'main' });
    await watcher.ask({ type: 'watch', ref: crasher });
    crasher.send({ type: 'crash' });
    const reason = await crasher.exited;
    expect(reason.kind).toBe('error');
    expect(reason.error).toBeInstanceOf(Error);
    expect((reason.error as Error).name).toBe('TypeError');
    expect((reason.error as Error).message).toBe('crashed on purpose');
    await expect.poll(() => watcher.ask({ type: 'got' }), { timeout: 5000 }).toHaveLength(1);
    const [down] = (await watcher.ask({ type: 'got' })) as Array<{ type: string; ref: ActorRef; reason: { kind: string; error: Error } }>;
    expect(down.type).toBe('DOWN');
    expect(down.ref.id).toBe(crasher.id);
    expect(down.reason.error.message).toBe('crashed on purpose');
    expect(down.reason.error.stack).toContain('actors.ts');
    await watcher.stop();
  });

  it('rejects an ask to a remote actor that exits before it replies with NoProcError', async () => {
    const ref = await system.spawn(Recorder, { node: 'b', placement: 'main' });
    await expect(ref.ask({ type: 'boom' })).rejects.toBeInstanceOf(NoProcError);
    expect((await ref.exited).kind).toBe('error');
  });

  it('propagates a link across nodes both ways', async () => {
    const watcher = await system.spawn(Watcher, { placement: 'main' });
    const there = await system.spawn(Crasher, { node: 'b', placement: 'main' });
    await watcher.ask({ type: 'link', ref: there });
    there.send({ type: 'crash' });
    await expect.poll(() => watcher.ask({ type: 'got' }), { timeout: 5000 }).toHaveLength(1);
    const [exit] = (await watcher.ask({ type: 'got' })) as Array<{ type: string; from: ActorRef }>;
    expect(exit.type).toBe('EXIT');
    expect(exit.from.id).toBe(there.id);
    // the other way: a local actor's crash ends the remote actor linked to it
    const remote = await system.spawn(Recorder, { node: 'b', placement: 'main' });
    await watcher.ask({ type: 'link', ref: remote });
    watcher.send({ type: 'crash' });
    const reason = await remote.exited;
    expect(reason.kind).toBe('error');
    expect((reason.error as Error).message).toBe('watcher crashed');
  });

  it('answers monitors of the dead with noproc and sends to the dead as dead letters', async () => {
    const ref = await system.spawn(Recorder, { node: 'b', placement: 'main' });
    await ref.stop();
    const watcher = await system.spawn(Watcher, { placement: 'main' });
    await watcher.ask({ type: 'watch', ref });
    await expect.poll(() => watcher.ask({ type: 'got' }), { timeout: 5000 }).toHaveLength(1);
    const [down] = (await watcher.ask({ type: 'got' })) as Array<{ reason: { kind: string } }>;
    expect(down.reason.kind).toBe('noproc');
    await expect(ref.ask({ type: 'echo', value: 1 })).rejects.toBeInstanceOf(NoProcError);
    await watcher.stop();
  });

  it('takes a SIGKILLed node down: nodedown, DOWN { killed, nodedown }, pending asks NoProcError', async () => {
    const doomed = await NodeProcess.start({ url: server.url, cluster: 'refs', node: 'doomed' });
    await seen(system, 'doomed');
    const ref = await system.spawn(Recorder, { node: 'doomed', placement: 'main' });
    const watcher = await system.spawn(Watcher, { placement: 'main' });
    await watcher.ask({ type: 'watch', ref });
    const pending = ref.ask({ type: 'hold' }, { timeout: 20_000 });
    const down = nextEvent(system, 'nodedown', 'doomed');
    await doomed.kill();
    await down;
    await expect(pending).rejects.toBeInstanceOf(NoProcError);
    expect(await ref.exited).toEqual({ kind: 'killed', detail: 'nodedown' });
    const [msg] = (await watcher.ask({ type: 'got' })) as Array<{ reason: unknown }>;
    expect(msg.reason).toEqual({ kind: 'killed', detail: 'nodedown' });
    const letters: unknown[] = [];
    system.on('deadLetter', (letter) => letters.push(letter));
    ref.send({ type: 'note', n: 1 });
    expect(letters).toHaveLength(1);
    expect((await system.nodes()).map((info) => info.node).sort()).toEqual(['b', 'main']);
    await watcher.stop();
  }, 30_000);
});
