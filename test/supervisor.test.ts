import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSystem, SupervisorError, type ActorRef, type ChildSpec, type Supervisor, type SupervisorSpec, type System } from 'troupe';
import { collectEvents, crash, waitForExit, waitForRestart } from 'troupe/testing';
import { BrokenInit, Recorder, Worker } from './fixtures/sup-workers.js';
import { refOf, rejection } from './helpers.js';

// One system (and its two worker hosts) for the whole file; each test stops what it started.
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

async function setup(): Promise<ActorRef> {
  const recorder = await system.spawn(Recorder, { placement: 'main' });
  started.push(recorder);
  return recorder;
}

async function supervise(spec: SupervisorSpec): Promise<Supervisor> {
  const sup = await system.supervise(spec);
  started.push(sup);
  return sup;
}

const worker = (id: string, recorder: ActorRef, extra: Partial<ChildSpec> = {}): ChildSpec => ({ id, start: Worker, args: [id, recorder], ...extra });

describe('Supervisor start and stop order', () => {
  it('starts children in list order on workers and stops them in reverse order', async () => {
    const recorder = await setup();
    const sup = await supervise({ strategy: 'one_for_one', children: ['a', 'b', 'c'].map((id) => worker(id, recorder)) });
    expect(await recorder.ask({ type: 'entries', n: 3 })).toEqual(['start:a', 'start:b', 'start:c']);
    expect((await sup.whichChildren()).map((row) => row.id)).toEqual(['a', 'b', 'c']);
    await sup.stop();
    expect(await recorder.ask({ type: 'entries', n: 6 })).toEqual([
      'start:a', 'start:b', 'start:c', 'stop:c:shutdown', 'stop:b:shutdown', 'stop:a:shutdown',
    ]);
    expect((await sup.exited).kind).toBe('normal');
  });

  it('fails to start with failed_to_start_child and stops the children already started', async () => {
    const recorder = await setup();
    const error = await rejection(system.supervise({
      strategy: 'one_for_one',
      children: [worker('a', recorder), { id: 'broken', start: BrokenInit }, worker('c', recorder)],
    }));
    expect(error.code).toBe('failed_to_start_child');
    expect(error.message).toContain('broken');
    expect((error.cause as Error).message).toBe('cannot start');
    expect(await recorder.ask({ type: 'entries', n: 2 })).toEqual(['start:a', 'stop:a:shutdown']);
  });
});

describe('Supervisor strategies', () => {
  async function crashB(strategy: 'one_for_one' | 'one_for_all' | 'rest_for_one', last: string) {
    const recorder = await setup();
    const sup = await supervise({ strategy, intensity: 3, children: ['a', 'b', 'c'].map((id) => worker(id, recorder)) });
    await recorder.ask({ type: 'entries', n: 3 });
    const before = await Promise.all(['a', 'b', 'c'].map((id) => refOf(sup, id)));
    recorder.send({ type: 'clear' });
    const { events, stop } = collectEvents(sup);
    const restarted = waitForRestart(sup, last);
    await crash(before[1]!);
    await restarted;
    stop();
    const after = await Promise.all(['a', 'b', 'c'].map((id) => refOf(sup, id)));
    const summary = events.map((e) => `${e.type}:${e.id}:${e.reason?.kind ?? ''}`);
    return { recorder, before, after, summary };
  }

  it('one_for_one restarts only the child that failed', async () => {
    const { before, after, summary, recorder } = await crashB('one_for_one', 'b');
    expect(summary).toEqual(['exited:b:error', 'restarted:b:']);
    expect(after[0]!.id).toBe(before[0]!.id);
    expect(after[1]!.id).not.toBe(before[1]!.id);
    expect(after[2]!.id).toBe(before[2]!.id);
    expect(await recorder.ask({ type: 'entries', n: 2 })).toEqual(['stop:b:error', 'start:b']);
  });

  it('one_for_all stops the others in reverse order and restarts all in list order', async () => {
    const { before, after, summary, recorder } = await crashB('one_for_all', 'c');
    expect(summary).toEqual([
      'exited:b:error', 'exited:c:shutdown', 'exited:a:shutdown', 'restarted:a:', 'restarted:b:', 'restarted:c:',
    ]);
    after.forEach((ref, i) => expect(ref.id).not.toBe(before[i]!.id));
    expect(await recorder.ask({ type: 'entries', n: 6 })).toEqual([
      'stop:b:error', 'stop:c:shutdown', 'stop:a:shutdown', 'start:a', 'start:b', 'start:c',
    ]);
  });

  it('rest_for_one restarts the failed child and the ones started after it', async () => {
    const { before, after, summary, recorder } = await crashB('rest_for_one', 'c');
    expect(summary).toEqual(['exited:b:error', 'exited:c:shutdown', 'restarted:b:', 'restarted:c:']);
    expect(after[0]!.id).toBe(before[0]!.id);
    expect(after[1]!.id).not.toBe(before[1]!.id);
    expect(after[2]!.id).not.toBe(before[2]!.id);
    expect(await recorder.ask({ type: 'entries', n: 4 })).toEqual(['stop:b:error', 'stop:c:shutdown', 'start:b', 'start:c']);
  });

  it('simple_one_for_one starts instances of the template with extra args and restarts each alone', async () => {
    const recorder = await setup();
    const sup = await supervise({ strategy: 'simple_one_for_one', children: [{ id: 'tpl', start: Worker, args: [] }] });
    expect(await sup.whichChildren()).toEqual([]);
    const { pid: x } = await sup.startChild(['x', recorder]);
    const { pid: y } = await sup.startChild(['y', recorder]);
    expect(await x!.ask({ type: 'ping' })).toBe('x');
    const rows = await sup.whichChildren();
    expect(rows.map((row) => row.id)).toEqual([undefined, undefined]);
    expect(rows.map((row) => (row.pid as ActorRef).id)).toEqual([x!.id, y!.id]);
    const restarted = waitForRestart(sup, 'tpl');
    await crash(x!);
    const x2 = await restarted;
    expect(await x2.ask({ type: 'ping' })).toBe('x');
    expect((await sup.whichChildren()).map((row) => (row.pid as ActorRef).id)).toEqual([x2.id, y!.id]);
    expect(await sup.countChildren()).toEqual({ specs: 1, active: 2, supervisors: 0, workers: 2 });
    await sup.terminateChild(y!);
    expect((await waitForExit(y!)).kind).toBe('shutdown');
    expect((await sup.whichChildren()).length).toBe(1);
    // OTP child_adm_simple: terminating an instance that has already exited is ok
    await sup.terminateChild(y!);
    expect((await rejection(sup.restartChild('tpl'))).code).toBe('simple_one_for_one');
    expect((await rejection(sup.deleteChild('tpl'))).code).toBe('simple_one_for_one');
    expect((await rejection(sup.terminateChild('tpl'))).code).toBe('simple_one_for_one');
    expect((await rejection(sup.startChild(worker('z', recorder)))).code).toBe('bad_start_spec');
  });
});

describe('Supervisor admin API', () => {
  it('answers with the OTP error codes', async () => {
    const recorder = await setup();
    const sup = await supervise({ strategy: 'one_for_one', children: [worker('a', recorder, { placement: 'main' })] });
    const a = await refOf(sup, 'a');

    const started = await rejection(sup.startChild(worker('a', recorder)));
    expect(started.code).toBe('already_started');
    expect(started.pid?.id).toBe(a.id);
    expect((await rejection(sup.restartChild('a'))).code).toBe('running');
    expect((await rejection(sup.deleteChild('a'))).code).toBe('running');
    expect((await rejection(sup.terminateChild('nope'))).code).toBe('not_found');
    expect((await rejection(sup.restartChild('nope'))).code).toBe('not_found');
    expect((await rejection(sup.deleteChild('nope'))).code).toBe('not_found');

    await sup.terminateChild('a');
    expect((await waitForExit(a)).kind).toBe('shutdown');
    expect(await sup.whichChildren()).toEqual([{ id: 'a', pid: null, type: 'worker' }]);
    expect((await rejection(sup.startChild(worker('a', recorder)))).code).toBe('already_present');
    const { pid } = await sup.restartChild('a');
    expect(await pid!.ask({ type: 'ping' })).toBe('a');
    await sup.terminateChild('a');
    await sup.deleteChild('a');
    expect(await sup.whichChildren()).toEqual([]);
    expect(await sup.countChildren()).toEqual({ specs: 0, active: 0, supervisors: 0, workers: 0 });
  });

  it('starts children added with startChild, and rejects bad specs naming the field', async () => {
    const recorder = await setup();
    const sup = await supervise({ strategy: 'one_for_one', children: [] });
    const { pid } = await sup.startChild({ ...worker('late', recorder), futureOption: true } as ChildSpec);
    expect(await pid!.ask({ type: 'ping' })).toBe('late');
    const bad = await rejection(sup.startChild({ id: 'x', start: Worker, shutdown: -1 }));
    expect(bad.code).toBe('bad_start_spec');
    expect(bad.message).toContain('shutdown');
    const failed = await rejection(sup.startChild({ id: 'y', start: BrokenInit }));
    expect(failed.code).toBe('failed_to_start_child');
    expect(await sup.countChildren()).toEqual({ specs: 1, active: 1, supervisors: 0, workers: 1 });
  });

  it('adds a nested supervisor with startChild and counts it among the supervisors', async () => {
    const recorder = await setup();
    const sup = await supervise({ strategy: 'one_for_one', children: [worker('a', recorder)] });
    const { pid } = await sup.startChild({ id: 'team', start: { strategy: 'one_for_all', children: [worker('t1', recorder), worker('t2', recorder)] } });
    expect(pid).not.toBeNull();
    expect(await sup.countChildren()).toEqual({ specs: 2, active: 2, supervisors: 1, workers: 1 });
    expect(await sup.whichChildren()).toEqual([
      { id: 'a', pid: expect.anything(), type: 'worker' },
      { id: 'team', pid: expect.anything(), type: 'supervisor' },
    ]);
    const bad = await rejection(sup.startChild({ id: 'bad-team', start: { strategy: 'one_for_one', children: [{ id: 'x', start: BrokenInit }] } }));
    expect(bad.code).toBe('failed_to_start_child');
    expect((bad.cause as SupervisorError).code).toBe('failed_to_start_child');
  });

  it('rejects bad flags with supervisor_data and bad child specs with bad_start_spec', async () => {
    await setup();
    const flags = [
      [{ strategy: 'one_for_some', children: [] }, 'strategy'],
      [{ strategy: 'one_for_one', intensity: -1, children: [] }, 'intensity'],
      [{ strategy: 'one_for_one', period: 0, children: [] }, 'period'],
      [{ strategy: 'one_for_one', autoShutdown: 'sometimes', children: [] }, 'autoShutdown'],
      [{ strategy: 'one_for_one', children: 'none' }, 'children'],
    ] as const;
    for (const [spec, field] of flags) {
      const error = await rejection(system.supervise(spec as never));
      expect(error.code).toBe('supervisor_data');
      expect(error.message).toContain(field);
    }
    const children = [
      [{ id: '', start: Worker }, 'id'],
      [{ id: 'a', start: 42 }, 'start'],
      [{ id: 'a', start: Worker, restart: 'sometimes' }, 'restart'],
      [{ id: 'a', start: Worker, args: 'x' }, 'args'],
      [{ id: 'a', start: Worker, type: 'manager' }, 'type'],
      [{ id: 'a', start: Worker, restartFrom: 'yesterday' }, 'restartFrom'],
      [{ id: 'a', start: Worker, placement: 'moon' }, 'placement'],
      [{ id: 'a', start: Worker, backoff: { min: 10, max: 5, jitter: 0 } }, 'backoff.max'],
    ] as const;
    for (const [child, field] of children) {
      const error = await rejection(system.supervise({ strategy: 'one_for_one', children: [child as never] }));
      expect(error.code).toBe('bad_start_spec');
      expect(error.message).toContain(field);
    }
    const duplicate = await rejection(system.supervise({ strategy: 'one_for_one', children: [{ id: 'a', start: Worker }, { id: 'a', start: Worker }] }));
    expect(duplicate.message).toContain('duplicate');
    const template = await rejection(system.supervise({ strategy: 'simple_one_for_one', children: [] }));
    expect(template.code).toBe('bad_start_spec');
  });

  it('rejects the significant / autoShutdown combinations OTP refuses with bad_combination', async () => {
    await setup();
    const combinations = [
      // significant without autoShutdown
      { strategy: 'one_for_one', children: [{ id: 'a', start: Worker, restart: 'transient', significant: true }] },
      // a permanent significant child
      { strategy: 'one_for_one', autoShutdown: 'any_significant', children: [{ id: 'a', start: Worker, restart: 'permanent', significant: true }] },
      // simple_one_for_one with an autoShutdown other than never
      { strategy: 'simple_one_for_one', autoShutdown: 'all_significant', children: [{ id: 'a', start: Worker, restart: 'transient' }] },
    ] as const;
    for (const spec of combinations) {
      const error = await rejection(system.supervise(spec as never));
      expect(error.code).toBe('bad_combination');
    }
  });

  it('ignores unknown keys in flags and child specs, as OTP does', async () => {
    const recorder = await setup();
    const sup = await supervise({
      strategy: 'one_for_one',
      children: [{ ...worker('a', recorder), modules: ['whatever'] } as ChildSpec],
      ...{ hibernateAfter: 100 },
    });
    expect(await sup.countChildren()).toEqual({ specs: 1, active: 1, supervisors: 0, workers: 1 });
  });
});
