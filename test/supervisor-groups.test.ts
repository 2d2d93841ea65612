/**
 * Group restarts as OTP does them (supervisor.erl restart/3, restart_multiple_children,
 * try_again_restart): one_for_all and rest_for_one restart children stopped with terminateChild
 * too (supervisor_SUITE tree); when a restart inside the group fails, rest_for_one retries from
 * the failed child on and keeps the ones before it (rest_for_one_other_child_fails_restart), while
 * one_for_all takes the whole group down and restarts it (one_for_all_other_child_fails_restart).
 */
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSystem, type ActorRef, type ChildSpec, type Supervisor, type System } from 'troupe';
import { collectEvents, crash, waitForRestart } from 'troupe/testing';
import { Flaky, Worker } from './fixtures/sup-workers.js';
import { refOf } from './helpers.js';

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

async function supervise(spec: Parameters<System['supervise']>[0]): Promise<Supervisor> {
  const sup = await system.supervise(spec);
  started.push(sup);
  return sup;
}

const worker = (id: string, extra: Partial<ChildSpec> = {}): ChildSpec => ({ id, start: Worker, args: [id], ...extra });
const flaky = (id: string, control: { failures: number }): ChildSpec => ({ id, start: Flaky, args: [control], placement: 'main' });
const summary = (events: Array<{ type: string; id?: string | undefined; reason?: { kind: string } | undefined }>): string[] =>
  events.map((e) => `${e.type}:${e.id}${e.type === 'exited' ? `:${e.reason?.kind}` : ''}`);

describe('tree: children stopped with terminateChild are restarted with their group', () => {
  it('one_for_all restarts every non-temporary child, the terminated one included', async () => {
    const sup = await supervise({ strategy: 'one_for_all', intensity: 5, children: [worker('a'), worker('b'), worker('c'), worker('t', { restart: 'temporary' })] });
    await sup.terminateChild('c');
    expect((await sup.whichChildren()).find((r) => r.id === 'c')!.pid).toBeNull();
    const restarted = waitForRestart(sup, 'c');
    await crash(await refOf(sup, 'a'));
    const c = await restarted;
    expect(await c.ask({ type: 'ping' })).toBe('c');
    expect((await sup.whichChildren()).map((r) => r.id)).toEqual(['a', 'b', 'c']);
    expect(await sup.countChildren()).toEqual({ specs: 3, active: 3, supervisors: 0, workers: 3 });
  });

  it('rest_for_one restarts the terminated children after the failed one, and leaves the ones before alone', async () => {
    const sup = await supervise({ strategy: 'rest_for_one', intensity: 5, children: [worker('a'), worker('b'), worker('c')] });
    const a = await refOf(sup, 'a');
    await sup.terminateChild('a');
    await sup.terminateChild('c');
    const restarted = waitForRestart(sup, 'c');
    await crash(await refOf(sup, 'b'));
    expect(await (await restarted).ask({ type: 'ping' })).toBe('c');
    const rows = await sup.whichChildren();
    expect(rows.map((r) => [r.id, r.pid === null])).toEqual([['a', true], ['b', false], ['c', false]]);
    expect(a.id).not.toBe((rows[1]!.pid as ActorRef).id);
  });
});

describe('A restart inside a group that fails', () => {
  it('rest_for_one_other_child_fails_restart: the retry starts from the failed child; the ones restarted before it keep running', async () => {
    const control = { failures: 0 };
    const sup = await supervise({ strategy: 'rest_for_one', intensity: 5, children: [worker('x', { placement: 'main' }), flaky('f', control), worker('c', { placement: 'main' })] });
    const { events } = collectEvents(sup);
    control.failures = 1;
    const restarted = waitForRestart(sup, 'c');
    await crash(await refOf(sup, 'x'));
    await restarted;
    expect(summary(events)).toEqual([
      'exited:x:error', 'exited:c:shutdown', 'exited:f:shutdown', 'restarted:x', 'restart_failed:f', 'restarted:f', 'restarted:c',
    ]);
    const x = events.find((e) => e.type === 'restarted' && e.id === 'x')!.ref!;
    expect((await refOf(sup, 'x')).id).toBe(x.id);
  });

  it('one_for_all_other_child_fails_restart: the children already restarted are stopped with shutdown and the whole group restarts', async () => {
    const control = { failures: 0 };
    const sup = await supervise({ strategy: 'one_for_all', intensity: 5, children: [worker('x', { placement: 'main' }), flaky('f', control), worker('c', { placement: 'main' })] });
    const { events } = collectEvents(sup);
    control.failures = 1;
    const restarted = waitForRestart(sup, 'c');
    await crash(await refOf(sup, 'x'));
    await restarted;
    expect(summary(events)).toEqual([
      'exited:x:error', 'exited:c:shutdown', 'exited:f:shutdown', 'restarted:x', 'restart_failed:f',
      'exited:x:shutdown', 'restarted:x', 'restarted:f', 'restarted:c',
    ]);
    expect(await sup.countChildren()).toMatchObject({ active: 3 });
  });
});
