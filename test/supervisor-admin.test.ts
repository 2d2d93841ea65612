/**
 * Supervisor administration details (DESIGN §5), as OTP's supervisor_SUITE states them: a ref
 * names a child only under simple_one_for_one (child_adm), terminating an instance that has
 * already exited is ok (child_adm_simple), and every call on a supervisor that is gone fails with
 * noproc — NoProcError here, whatever the call carries (a child spec holds functions).
 */
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSystem, NoProcError, SupervisorError, type ActorRef, type ChildSpec, type Strategy, type Supervisor, type System } from 'troupe';
import { crash, waitForExit } from 'troupe/testing';
import { Worker } from './fixtures/sup-workers.js';
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

async function supervise(spec: Parameters<System['supervise']>[0]): Promise<Supervisor> {
  const sup = await system.supervise(spec);
  started.push(sup);
  return sup;
}

const worker = (id: string, extra: Partial<ChildSpec> = {}): ChildSpec => ({ id, start: Worker, args: [id], ...extra });

describe('child_adm', () => {
  it.each<Strategy>(['one_for_one', 'one_for_all', 'rest_for_one'])('%s: terminateChild(ref) is not_found and the child keeps running', async (strategy) => {
    const sup = await supervise({ strategy, children: [worker('a'), worker('b', { placement: 'main' })] });
    for (const id of ['a', 'b']) {
      const ref = await refOf(sup, id);
      expect((await rejection(sup.terminateChild(ref))).code).toBe('not_found');
      expect(await ref.ask({ type: 'ping' })).toBe(id);
      expect((await refOf(sup, id)).id).toBe(ref.id);
    }
    expect(await sup.countChildren()).toEqual({ specs: 2, active: 2, supervisors: 0, workers: 2 });
  });

  it('terminating a child that is not running is ok, as deleting what does not exist is not', async () => {
    const sup = await supervise({ children: [worker('a')] });
    await sup.terminateChild('a');
    await sup.terminateChild('a');
    expect(await sup.whichChildren()).toEqual([{ id: 'a', pid: null, type: 'worker' }]);
  });
});

describe('child_adm_simple', () => {
  it('terminating an instance that has already exited is ok; a live actor that is not a child is not_found', async () => {
    const sup = await supervise({ strategy: 'simple_one_for_one', children: [{ id: 'tpl', start: Worker, restart: 'temporary' }] });
    const { pid: x } = await sup.startChild(['x']);
    const { pid: y } = await sup.startChild(['y']);
    await sup.terminateChild(x!);
    expect((await waitForExit(x!)).kind).toBe('shutdown');
    await sup.terminateChild(x!);
    // a temporary instance that crashed is gone too: terminating it is ok
    await crash(y!);
    await waitForExit(y!);
    await sup.terminateChild(y!);
    expect(await sup.countChildren()).toEqual({ specs: 1, active: 0, supervisors: 0, workers: 0 });
    const stranger = await system.spawn(Worker, { args: ['stranger'] });
    started.push(stranger);
    expect((await rejection(sup.terminateChild(stranger))).code).toBe('not_found');
    expect(await stranger.ask({ type: 'ping' })).toBe('stranger');
    expect((await rejection(sup.terminateChild('tpl'))).code).toBe('simple_one_for_one');
  });
});

describe('noproc: every call on a supervisor that has stopped rejects NoProcError', () => {
  async function expectAllNoProc(sup: Supervisor, extraArgs: boolean): Promise<void> {
    const ref = await system.spawn(Worker, { args: ['r'] });
    started.push(ref);
    const calls: Array<Promise<unknown>> = [
      sup.startChild(extraArgs ? ['z'] : worker('z')),
      sup.startChild(worker('fn', { start: Worker })),
      sup.terminateChild('a'),
      sup.terminateChild(ref),
      sup.restartChild('a'),
      sup.deleteChild('a'),
      sup.whichChildren(),
      sup.countChildren(),
    ];
    for (const call of calls) await expect(call).rejects.toBeInstanceOf(NoProcError);
  }

  it('after stop()', async () => {
    const sup = await system.supervise({ children: [worker('a')] });
    await sup.stop();
    await expectAllNoProc(sup, false);
  });

  it('after it gave up (reached_max_restart_intensity)', async () => {
    const sup = await system.supervise({ intensity: 0, children: [worker('a', { placement: 'main' })] });
    await crash(await refOf(sup, 'a'));
    expect((await sup.exited).detail).toBe('reached_max_restart_intensity');
    await expectAllNoProc(sup, false);
  });

  it('simple_one_for_one, after stop()', async () => {
    const sup = await system.supervise({ strategy: 'simple_one_for_one', children: [{ id: 'tpl', start: Worker }] });
    await sup.stop();
    await expectAllNoProc(sup, true);
  });
});
