import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSystem, type ActorRef, type ChildSpec, type Strategy, type Supervisor, type SupervisorSpec, type System } from 'troupe';
import { collectEvents, crash, hang, waitForExit, waitForRestart } from 'troupe/testing';
import { supervisorOf } from '../supervisors/index.js';
import { Flaky, Recorder, Worker } from './fixtures/sup-workers.js';

// One system (and its two worker hosts) for the whole file; each test stops what it started.
let system: System;
const started: Array<{ stop(): Promise<void> }> = [];

beforeAll(async () => {
  system = await createSystem({ hosts: 2, logger: pino({ level: 'silent' }) });
});

afterEach(async () => {
  vi.useRealTimers();
  for (const thing of started.splice(0).reverse()) await thing.stop();
});

afterAll(async () => {
  await system.shutdown();
});

async function supervise(spec: SupervisorSpec, on: System = system): Promise<Supervisor> {
  const sup = await on.supervise(spec);
  started.push(sup);
  return sup;
}

async function recorder(): Promise<ActorRef> {
  const ref = await system.spawn(Recorder, { placement: 'main' });
  started.push(ref);
  return ref;
}

const worker = (id: string, extra: Partial<ChildSpec> = {}): ChildSpec => ({ id, start: Worker, args: [id], ...extra });

async function refOf(sup: Supervisor, id: string): Promise<ActorRef> {
  const row = (await sup.whichChildren()).find((r) => r.id === id);
  if (!row || row.pid === null || row.pid === 'restarting') throw new Error(`child ${id} is not running`);
  return row.pid;
}

/** Crashes `ref` and resolves with its replacement. */
async function crashAndWait(sup: Supervisor, id: string, ref: ActorRef): Promise<ActorRef> {
  const restarted = waitForRestart(sup, id);
  await crash(ref);
  return restarted;
}

describe('Restart intensity', () => {
  it.each<Strategy>(['one_for_one', 'one_for_all', 'rest_for_one'])(
    '%s: one restart more than intensity within period stops every child in reverse order and exits shutdown',
    async (strategy) => {
      const sup = await supervise({ strategy, intensity: 1, period: 5000, children: [worker('a'), worker('b'), worker('c')] });
      const b2 = await crashAndWait(sup, 'b', await refOf(sup, 'b'));
      const { events } = collectEvents(sup);
      const survivors = await Promise.all(['a', 'c'].map((id) => refOf(sup, id)));
      await crash(b2);
      expect(await sup.exited).toEqual({ kind: 'shutdown', detail: 'reached_max_restart_intensity' });
      for (const ref of survivors) expect((await waitForExit(ref)).kind).toBe('shutdown');
      const exits = events.filter((e) => e.type === 'exited').map((e) => e.id);
      expect(exits).toEqual(['b', 'c', 'a']);
      expect(events.at(-1)).toMatchObject({ type: 'shutdown', reason: { kind: 'shutdown', detail: 'reached_max_restart_intensity' } });
    },
  );

  it('simple_one_for_one: counts the restarts of all instances together', async () => {
    const sup = await supervise({ strategy: 'simple_one_for_one', intensity: 1, children: [{ id: 'tpl', start: Worker }] });
    const { pid: x } = await sup.startChild(['x']);
    const { pid: y } = await sup.startChild(['y']);
    await crashAndWait(sup, 'tpl', x!);
    await crash(y!);
    expect((await sup.exited).detail).toBe('reached_max_restart_intensity');
  });

  it('intensity 0 allows no restart at all', async () => {
    const sup = await supervise({ strategy: 'one_for_one', intensity: 0, children: [worker('a', { placement: 'main' })] });
    await crash(await refOf(sup, 'a'));
    expect((await sup.exited).detail).toBe('reached_max_restart_intensity');
  });

  it('forgets restarts older than period (sliding window, fake clock)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const sup = await supervise({ strategy: 'one_for_one', intensity: 1, period: 1000, children: [worker('a', { placement: 'main' })] });
    let a = await crashAndWait(sup, 'a', await refOf(sup, 'a'));
    vi.setSystemTime(Date.now() + 1001);
    a = await crashAndWait(sup, 'a', a);
    vi.setSystemTime(Date.now() + 500);
    await crash(a);
    expect((await sup.exited).detail).toBe('reached_max_restart_intensity');
  });
});

describe('Restart types', () => {
  const exitWith = async (sup: Supervisor, id: string, reason: object) => {
    const ref = await refOf(sup, id);
    ref.send({ type: 'exit', reason });
    return waitForExit(ref);
  };

  it('permanent children are restarted after any exit, normal included', async () => {
    const sup = await supervise({ strategy: 'one_for_one', intensity: 5, children: [worker('p')] });
    const restarted = waitForRestart(sup, 'p');
    expect((await exitWith(sup, 'p', { kind: 'normal' })).kind).toBe('normal');
    expect(await (await restarted).ask({ type: 'ping' })).toBe('p');
  });

  it('transient children are restarted only after an abnormal exit (normal and shutdown are normal)', async () => {
    const sup = await supervise({
      strategy: 'one_for_one',
      intensity: 5,
      children: [worker('n', { restart: 'transient' }), worker('s', { restart: 'transient' }), worker('e', { restart: 'transient' })],
    });
    const { events } = collectEvents(sup);
    await exitWith(sup, 'n', { kind: 'normal' });
    await exitWith(sup, 's', { kind: 'shutdown', detail: 'done' });
    const restarted = waitForRestart(sup, 'e');
    await crash(await refOf(sup, 'e'));
    await restarted;
    expect(events.filter((e) => e.type === 'restarted').map((e) => e.id)).toEqual(['e']);
    const rows = await sup.whichChildren();
    expect(rows.map((row) => [row.id, row.pid === null])).toEqual([['n', true], ['s', true], ['e', false]]);
  });

  it('temporary children are never restarted and are forgotten', async () => {
    const sup = await supervise({ strategy: 'one_for_one', children: [worker('t', { restart: 'temporary' }), worker('k')] });
    const { events } = collectEvents(sup);
    const t = await refOf(sup, 't');
    await crash(t);
    expect((await waitForExit(t)).kind).toBe('error');
    expect((await sup.whichChildren()).map((row) => row.id)).toEqual(['k']);
    expect(events.map((e) => e.type)).toEqual(['exited']);
  });

  it('one_for_all drops temporary siblings instead of restarting them', async () => {
    const sup = await supervise({ strategy: 'one_for_all', intensity: 5, children: [worker('a'), worker('t', { restart: 'temporary' }), worker('c')] });
    const restarted = waitForRestart(sup, 'c');
    await crash(await refOf(sup, 'a'));
    await restarted;
    expect((await sup.whichChildren()).map((row) => row.id)).toEqual(['a', 'c']);
  });
});

describe('Shutdown', () => {
  it('kills a child that ignores its stop once the shutdown timeout passes', async () => {
    const sup = await supervise({ strategy: 'one_for_one', children: [worker('stubborn', { shutdown: 50 })] });
    const ref = await refOf(sup, 'stubborn');
    await hang(ref, 10_000);
    const t0 = performance.now();
    await sup.terminateChild('stubborn');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(45);
    expect(await waitForExit(ref)).toEqual({ kind: 'killed', detail: 'shutdown timeout' });
  });

  it('lets a child finish its cleanup within the timeout (onStop runs)', async () => {
    const rec = await recorder();
    const sup = await supervise({ strategy: 'one_for_one', children: [{ id: 'w', start: Worker, args: ['w', rec], shutdown: 2000 }] });
    await sup.terminateChild('w');
    expect(await rec.ask({ type: 'entries', n: 2 })).toEqual(['start:w', 'stop:w:shutdown']);
  });

  it('brutal_kill ends the child at once, without onStop', async () => {
    const sup = await supervise({ strategy: 'one_for_one', children: [worker('b', { shutdown: 'brutal_kill' })] });
    const ref = await refOf(sup, 'b');
    await hang(ref, 10_000);
    await sup.terminateChild('b');
    expect(await waitForExit(ref)).toEqual({ kind: 'killed', detail: 'brutal_kill' });
  });

  it("'infinity' waits for the child however long it takes", async () => {
    const sup = await supervise({ strategy: 'one_for_one', children: [worker('slow', { shutdown: 'infinity', placement: 'main' })] });
    const ref = await refOf(sup, 'slow');
    await hang(ref, 150);
    const t0 = performance.now();
    await sup.terminateChild('slow');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(100);
    expect((await waitForExit(ref)).kind).toBe('shutdown');
  });
});

describe('Supervision trees', () => {
  it('a nested supervisor that gives up is restarted by its parent (escalation)', async () => {
    const parent = await supervise({
      name: 'top',
      strategy: 'one_for_one',
      intensity: 5,
      children: [{ id: 'inner', start: { name: 'inner', strategy: 'one_for_one', intensity: 0, children: [worker('w')] } }],
    });
    expect(await parent.whichChildren()).toEqual([{ id: 'inner', pid: expect.anything(), type: 'supervisor' }]);
    const inner = supervisorOf(await refOf(parent, 'inner'))!;
    const { events } = collectEvents(parent);
    const restarted = waitForRestart(parent, 'inner');
    await crash(await refOf(inner, 'w'));
    const inner2 = supervisorOf(await restarted)!;
    expect(events[0]).toMatchObject({ type: 'exited', id: 'inner', supervisor: 'top', reason: { kind: 'shutdown', detail: 'reached_max_restart_intensity' } });
    expect(await (await refOf(inner2, 'w')).ask({ type: 'ping' })).toBe('w');
  });

  it('escalates to the top when every level gives up, stopping the whole tree', async () => {
    const top = await supervise({
      strategy: 'one_for_one',
      intensity: 0,
      children: [
        worker('sibling'),
        { id: 'mid', start: { strategy: 'one_for_one', intensity: 0, children: [{ id: 'leaf', start: { strategy: 'one_for_all', intensity: 0, children: [worker('w')] } }] } },
      ],
    });
    const sibling = await refOf(top, 'sibling');
    const mid = supervisorOf(await refOf(top, 'mid'))!;
    const leaf = supervisorOf(await refOf(mid, 'leaf'))!;
    await crash(await refOf(leaf, 'w'));
    expect(await leaf.exited).toEqual({ kind: 'shutdown', detail: 'reached_max_restart_intensity' });
    expect(await mid.exited).toEqual({ kind: 'shutdown', detail: 'reached_max_restart_intensity' });
    expect(await top.exited).toEqual({ kind: 'shutdown', detail: 'reached_max_restart_intensity' });
    expect((await waitForExit(sibling)).kind).toBe('shutdown');
  });

  it('stopping a supervisor stops its nested supervisors and their children first', async () => {
    const rec = await recorder();
    const top = await supervise({
      strategy: 'one_for_one',
      children: [
        { id: 'a', start: Worker, args: ['a', rec] },
        { id: 'sub', start: { strategy: 'one_for_one', children: [{ id: 'b', start: Worker, args: ['b', rec] }, { id: 'c', start: Worker, args: ['c', rec] }] } },
        { id: 'd', start: Worker, args: ['d', rec] },
      ],
    });
    expect(await rec.ask({ type: 'entries', n: 4 })).toEqual(['start:a', 'start:b', 'start:c', 'start:d']);
    await top.stop();
    expect((await rec.ask<string[]>({ type: 'entries', n: 8 })).slice(4)).toEqual(['stop:d:shutdown', 'stop:c:shutdown', 'stop:b:shutdown', 'stop:a:shutdown']);
  });
});

describe('Significant children (autoShutdown)', () => {
  it('any_significant: the supervisor shuts down when a significant child ends by itself', async () => {
    const sup = await supervise({
      strategy: 'one_for_one',
      autoShutdown: 'any_significant',
      children: [worker('other'), worker('job', { restart: 'transient', significant: true })],
    });
    const other = await refOf(sup, 'other');
    (await refOf(sup, 'job')).send({ type: 'exit', reason: { kind: 'normal' } });
    expect(await sup.exited).toEqual({ kind: 'shutdown', detail: 'auto_shutdown' });
    expect((await waitForExit(other)).kind).toBe('shutdown');
  });

  it('all_significant: it waits until every significant child has ended', async () => {
    const sup = await supervise({
      strategy: 'one_for_one',
      autoShutdown: 'all_significant',
      children: [worker('j1', { restart: 'temporary', significant: true }), worker('j2', { restart: 'transient', significant: true })],
    });
    const j1 = await refOf(sup, 'j1');
    const j2 = await refOf(sup, 'j2');
    await crash(j1);
    await waitForExit(j1);
    expect(await sup.countChildren()).toMatchObject({ specs: 1, active: 1 });
    j2.send({ type: 'exit', reason: { kind: 'shutdown' } });
    expect((await sup.exited).detail).toBe('auto_shutdown');
  });

  it('a significant child terminated through terminateChild does not shut the supervisor down', async () => {
    const sup = await supervise({ strategy: 'one_for_one', autoShutdown: 'any_significant', children: [worker('job', { restart: 'transient', significant: true })] });
    await sup.terminateChild('job');
    expect(await sup.countChildren()).toMatchObject({ specs: 1, active: 0 });
  });
});

describe('Failed restarts', () => {
  const flaky = (id: string, control: { failures: number }): ChildSpec => ({ id, start: Flaky, args: [control], placement: 'main' });

  it('retries a restart that failed, each attempt counting against the intensity', async () => {
    const control = { failures: 0 };
    const sup = await supervise({ strategy: 'one_for_one', intensity: 3, children: [flaky('f', control)] });
    const { events } = collectEvents(sup);
    control.failures = 2;
    await crashAndWait(sup, 'f', await refOf(sup, 'f'));
    expect(events.map((e) => e.type)).toEqual(['exited', 'restart_failed', 'restart_failed', 'restarted']);
    expect(events[1]!.reason).toMatchObject({ kind: 'error', error: { message: 'flaky init' } });
  });

  it('gives up when the retries exceed the intensity', async () => {
    const control = { failures: 0 };
    const sup = await supervise({ strategy: 'one_for_one', intensity: 2, children: [flaky('f', control)] });
    control.failures = 10;
    await crash(await refOf(sup, 'f'));
    expect((await sup.exited).detail).toBe('reached_max_restart_intensity');
  });

  it('one_for_all: a sibling failing to restart stops the ones already restarted and retries the group', async () => {
    const control = { failures: 0 };
    const sup = await supervise({ strategy: 'one_for_all', intensity: 5, children: [worker('a', { placement: 'main' }), flaky('f', control)] });
    const { events } = collectEvents(sup);
    control.failures = 1;
    const restarted = waitForRestart(sup, 'f');
    await crash(await refOf(sup, 'a'));
    await restarted;
    expect(events.map((e) => `${e.type}:${e.id}`)).toEqual([
      'exited:a', 'exited:f', 'restarted:a', 'restart_failed:f', 'exited:a', 'restarted:a', 'restarted:f',
    ]);
  });
});

describe('Restart options', () => {
  it('backoff delays restarts exponentially and shows the child as restarting meanwhile (fake timers)', async () => {
    const sup = await supervise({ strategy: 'one_for_one', intensity: 10, children: [worker('b', { placement: 'main', backoff: { min: 40, max: 1000, jitter: 0 } })] });
    const { events } = collectEvents(sup);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      let b = await refOf(sup, 'b');
      // first failure: the restart waits min (40 ms) and the child shows as restarting meanwhile
      let restarting = waitForRestart(sup, 'b', { timeout: 60_000 });
      await crash(b);
      await waitForExit(b);
      expect((await sup.whichChildren())[0]!.pid).toBe('restarting');
      await vi.advanceTimersByTimeAsync(39);
      expect(events.some((e) => e.type === 'restarted')).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      b = await restarting;
      // second failure right away: twice as long (80 ms); restartChild meanwhile is refused
      restarting = waitForRestart(sup, 'b', { timeout: 60_000 });
      await crash(b);
      await waitForExit(b);
      expect((await sup.restartChild('b').catch((e) => e)).code).toBe('restarting');
      await vi.advanceTimersByTimeAsync(79);
      expect(events.filter((e) => e.type === 'restarted')).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(1);
      await restarting;
      expect(events.filter((e) => e.type === 'restarted').map((e) => e.restarts)).toEqual([1, 2]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("restartFrom 'snapshot' restores the last persisted state of a worker", async () => {
    const sup = await supervise({ strategy: 'one_for_one', intensity: 5, children: [worker('s', { restartFrom: 'snapshot' }), worker('i')] });
    for (const id of ['s', 'i']) {
      const ref = await refOf(sup, id);
      for (let n = 0; n < 3; n++) ref.send({ type: 'inc' });
      await ref.ask({ type: 'persist' });
    }
    const s2 = await crashAndWait(sup, 's', await refOf(sup, 's'));
    expect(await s2.ask({ type: 'get' })).toBe(3);
    const i2 = await crashAndWait(sup, 'i', await refOf(sup, 'i'));
    expect(await i2.ask({ type: 'get' })).toBe(0);
  });

  it('re-binds a child\'s registered name to each new actor', async () => {
    const sup = await supervise({ strategy: 'one_for_one', children: [worker('named', { name: 'the-worker' })] });
    const first = system.get('the-worker')!;
    expect(await first.ask({ type: 'ping' })).toBe('named');
    const second = await crashAndWait(sup, 'named', await refOf(sup, 'named'));
    expect(second.name).toBe('the-worker');
    expect(system.get('the-worker')!.id).toBe(second.id);
    expect(await system.get('the-worker')!.ask({ type: 'ping' })).toBe('named');
  });
});

describe('Supervisor logging', () => {
  it('logs every start, exit and restart as a structured pino record', async () => {
    const records: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        records.push(JSON.parse(String(chunk)));
        done();
      },
    });
    const logged = await createSystem({ hosts: 1, logger: pino({ level: 'info' }, sink) });
    try {
      const sup = await logged.supervise({ name: 'logged', strategy: 'one_for_one', children: [worker('a', { placement: 'main' })] });
      await crashAndWait(sup, 'a', await refOf(sup, 'a'));
      const mine = records.filter((r) => r.supervisor === 'logged' && r.event !== undefined);
      expect(mine.map((r) => [r.event, r.child])).toEqual([['started', 'a'], ['exited', 'a'], ['restarted', 'a']]);
      expect(mine[1]).toMatchObject({ level: 40, reason: { kind: 'error' }, err: { message: 'crash injected by troupe/testing' } });
      expect(mine[2]).toMatchObject({ restarts: 1, actor: expect.any(String) });
    } finally {
      await logged.shutdown();
    }
  });

  it("logs a crash once: a supervised child's in the supervisor's record, an unsupervised actor's in its own", async () => {
    const records: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        records.push(JSON.parse(String(chunk)));
        done();
      },
    });
    const logged = await createSystem({ hosts: 1, logger: pino({ level: 'warn' }, sink) });
    const crashes = () => records.filter((r) => (r.err as { message?: string } | undefined)?.message === 'crash injected by troupe/testing');
    try {
      for (const placement of ['main', 'shared'] as const) {
        records.length = 0;
        const sup = await logged.supervise({ name: `once-${placement}`, strategy: 'one_for_one', children: [worker('a', { placement })] });
        await crashAndWait(sup, 'a', await refOf(sup, 'a'));
        expect(crashes().map((r) => r.supervisor)).toEqual([`once-${placement}`]);
        await sup.stop();
        records.length = 0;
        const alone = await logged.spawn(Worker, { placement, args: ['alone'] });
        await crash(alone);
        await alone.exited;
        expect(crashes().map((r) => [r.msg, r.actor])).toEqual([['actor exited with an error', 'Worker']]);
      }
    } finally {
      await logged.shutdown();
    }
  });
});
