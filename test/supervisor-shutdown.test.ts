/**
 * A shutdown timeout kills the child when it runs out, even while its onStop is still running
 * (DESIGN §5; OTP shutdown/1: exit(Pid, kill) after the timeout, and kill cannot be trapped). The
 * kill wins: the child exits `killed` at the timeout, its pending asks reject NoProcError, and the
 * late onStop result is ignored. In main and on a shared host (where the kill is a control
 * message). Time is the point here, so the main thread's timers are fake.
 */
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSystem, NoProcError, type ActorRef, type ExitReason, type Placement, type Supervisor, type System } from 'troupe';
import { Watcher } from './fixtures/linked.js';
import { Recorder, SlowStop } from './fixtures/sup-workers.js';

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

const FOREVER = { timeout: Infinity };

interface Slow {
  sup: Supervisor;
  child: ActorRef;
  recorder: ActorRef;
  watcher: ActorRef;
  /** the child's exit reason once it has exited */
  exit: { reason?: ExitReason };
}

/** A supervisor with one child whose onStop takes 5 s, under shutdown: 2000; its exits watched. */
async function slowChild(placement: Placement): Promise<Slow> {
  const recorder = await system.spawn(Recorder, { placement: 'main' });
  started.push(recorder);
  const sup = await system.supervise({ children: [{ id: 'slow', start: SlowStop, args: [5000, recorder], shutdown: 2000, placement }] });
  started.push(sup);
  const child = (await sup.whichChildren())[0]!.pid as ActorRef;
  const watcher = await system.spawn(Watcher, { placement: 'main' });
  started.push(watcher);
  watcher.send({ type: 'watch', ref: child });
  await watcher.ask({ type: 'log' }, FOREVER);
  const exit: Slow['exit'] = {};
  void child.exited.then((reason) => (exit.reason = reason));
  return { sup, child, recorder, watcher, exit };
}

describe.each<Placement>(['main', 'shared'])('sup_stop_timeout: a child whose onStop outlasts its shutdown (%s)', (placement) => {
  it('is killed at the timeout; its pending asks reject NoProcError', async () => {
    const slow = await slowChild(placement);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const terminated = slow.sup.terminateChild('slow');
    expect(await slow.recorder.ask({ type: 'entries', n: 2 }, FOREVER)).toEqual(['start', 'onStop:begin']);
    // asked while it is stopping: answered when it dies
    const pending = slow.child.ask({ type: 'ping' }, FOREVER);
    pending.catch(() => {});
    await vi.advanceTimersByTimeAsync(1999);
    expect(slow.exit.reason).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    await terminated;
    expect(await slow.child.exited).toEqual({ kind: 'killed', detail: 'shutdown timeout' });
    await expect(pending).rejects.toBeInstanceOf(NoProcError);
    expect(await slow.watcher.ask({ type: 'log' }, FOREVER)).toEqual([{ type: 'DOWN', ref: slow.child.id, kind: 'killed', error: undefined }]);
    expect(await slow.sup.whichChildren()).toEqual([{ id: 'slow', pid: null, type: 'worker' }]);
  });
});

describe('the late onStop result', () => {
  it('is ignored: no second exit, the kill stands (main)', async () => {
    const slow = await slowChild('main');
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const stopped = slow.sup.stop();
    await slow.recorder.ask({ type: 'entries', n: 2 }, FOREVER);
    await vi.advanceTimersByTimeAsync(2000);
    await stopped;
    expect(slow.exit.reason).toEqual({ kind: 'killed', detail: 'shutdown timeout' });
    // the onStop finishes 3 s later: it runs to its end, and nothing else happens
    await vi.advanceTimersByTimeAsync(3000);
    expect(await slow.recorder.ask({ type: 'entries', n: 3 }, FOREVER)).toEqual(['start', 'onStop:begin', 'onStop:end']);
    expect(await slow.child.exited).toEqual({ kind: 'killed', detail: 'shutdown timeout' });
    expect(await slow.watcher.ask({ type: 'log' }, FOREVER)).toEqual([{ type: 'DOWN', ref: slow.child.id, kind: 'killed', error: undefined }]);
    expect((await slow.sup.exited).kind).toBe('normal');
  });
});
