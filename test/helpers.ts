import pino from 'pino';
import { expect } from 'vitest';
import { createSystem, SupervisorError, type ActorRef, type Supervisor, type System } from 'troupe';

/** A quiet system for tests (errors are asserted, not printed). */
export function testSystem(options: { hosts?: number; watchdog?: number } = {}): Promise<System> {
  return createSystem({ hosts: options.hosts ?? 2, watchdog: options.watchdog, logger: pino({ level: 'silent' }) });
}

/** Resources that keep the event loop alive (workers, ports, timers), for leak checks. */
export function liveHandles(): string[] {
  return process.getActiveResourcesInfo().filter((kind) => kind !== 'TTYWrap' && kind !== 'PipeWrap' && kind !== 'FSReqCallback');
}

/**
 * Resolves the live handles once they are no more than `limit`: a terminated worker's ports close
 * a few ms after its exit event, so this waits (bounded) for Node to finish closing them.
 */
export async function handlesSettled(limit: number, within = 10_000): Promise<string[]> {
  const deadline = Date.now() + within;
  let live = liveHandles();
  while (live.length > limit && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10).unref());
    live = liveHandles();
  }
  return live;
}

type WaitAsync = (view: Int32Array, index: number, value: number, timeout?: number) => { async: boolean; value: Promise<string> | string };

/** Resolves once another thread has set word 0 of `flag` (published through shared memory alone). */
export async function flagSet(flag: Int32Array, timeout = 20_000): Promise<void> {
  const result = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync(flag, 0, 0, timeout);
  if (result.async) await result.value;
  if (Atomics.load(flag, 0) === 0) throw new Error(`the flag was not set within ${timeout} ms`);
}

/** The running ref of a supervisor's child `id` (throws if it is not running). */
export async function refOf(sup: Supervisor, id: string): Promise<ActorRef> {
  const row = (await sup.whichChildren()).find((r) => r.id === id);
  if (!row || row.pid === null || row.pid === 'restarting') throw new Error(`child ${id} is not running`);
  return row.pid;
}

/** The SupervisorError a supervisor call rejects with (fails the test if it resolves). */
export function rejection(promise: Promise<unknown>): Promise<SupervisorError> {
  return promise.then(
    () => {
      throw new Error('expected a SupervisorError');
    },
    (error: unknown) => {
      expect(error).toBeInstanceOf(SupervisorError);
      return error as SupervisorError;
    },
  );
}
