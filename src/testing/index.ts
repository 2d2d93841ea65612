/**
 * `troupe/testing` (DESIGN §7): the fault-injection kit for supervisor fault tests. Injectors reach
 * the actor wherever it lives through its system and resolve once the fault is in place; the
 * waiters resolve on events, so tests never need to sleep.
 */
import { describe } from '../describe.js';
import { NoProcError, TimeoutError, ValueError } from '../errors.js';
import { Ref } from '../ref.js';
import { inject, killHost as endHost, type Fault } from '../system/faults.js';
import { SystemImpl } from '../system/system.js';
import type { ActorRef, ExitReason, Supervisor, SupervisorEvent, SupervisorCore } from '../types.js';

function systemOf(ref: ActorRef, what: string): SystemImpl {
  if (typeof ref !== 'object' || ref === null) throw new ValueError(`${what}(ref) needs an ActorRef (got ${describe(ref)})`);
  const system = Ref.runtimeOf(ref)?.system;
  if (!(system instanceof SystemImpl)) {
    throw new ValueError(`${what}(ref) needs an ActorRef obtained in the main thread (from spawn, supervise or system.get)`);
  }
  return system;
}

function injected(ref: ActorRef, what: string, fault: Fault): void {
  if (!inject(systemOf(ref, what), ref.id, fault)) throw new NoProcError(`${what}: actor ${ref.name ?? ref.id} is not alive`);
}

/**
 * Makes the actor throw `error` on its next turn, as if its handler had thrown (exit kind
 * `error`). Resolves once the fault is queued.
 *
 * @example await crash(ref); expect((await waitForExit(ref)).kind).toBe('error');
 */
export async function crash(ref: ActorRef, error: Error = new Error('crash injected by troupe/testing')): Promise<void> {
  injected(ref, 'crash', { crash: error });
}

/** Ends the actor at once with kind `killed`, without its onStop, as if its host died. */
export async function kill(ref: ActorRef): Promise<void> {
  const system = systemOf(ref, 'kill');
  if (!system.isAlive(ref.id)) throw new NoProcError(`kill: actor ${ref.name ?? ref.id} is not alive`);
  system.terminate(ref.id, { kind: 'killed', detail: 'killed by troupe/testing' });
}

/**
 * Terminates the worker thread that hosts the actor: every actor on it exits `killed`
 * (collateral included). Resolves once the runtime has noticed the death and reported the exits.
 */
export async function killHost(ref: ActorRef): Promise<void> {
  const system = systemOf(ref, 'killHost');
  if (await endHost(system, ref.id)) return;
  if (!system.isAlive(ref.id)) throw new NoProcError(`killHost: actor ${ref.name ?? ref.id} is not alive`);
  throw new ValueError(`killHost: actor ${ref.name ?? ref.id} runs in the main thread, which has no worker to kill; use kill(ref)`);
}

/** Blocks the actor's handler loop for `ms` (it takes no message, not even a stop request). */
export async function hang(ref: ActorRef, ms: number): Promise<void> {
  if (typeof ms !== 'number' || !(ms >= 0)) throw new ValueError(`hang(ref, ms) needs a non-negative number of ms (got ${describe(ms)})`);
  injected(ref, 'hang', { hang: ms });
}

/**
 * A supervisor as the kit needs it. Typed loosely on purpose: DESIGN's declaration of Supervisor
 * does not carry the EventEmitter methods, and the kit must accept it as declared there.
 */
export type SupervisorLike = SupervisorCore;

function emitter(sup: SupervisorLike): Supervisor {
  if (typeof (sup as Supervisor | null)?.on !== 'function') throw new TypeError(`expected a Supervisor (from system.supervise()), got ${describe(sup)}`);
  return sup as Supervisor;
}

/**
 * Resolves the new ActorRef of child `id` at its next restart by `sup`; rejects TimeoutError after
 * `timeout` ms (default 5000). Start waiting before injecting the fault.
 */
export function waitForRestart(sup: SupervisorLike, id: string, options: { timeout?: number } = {}): Promise<ActorRef> {
  // checked before any timer is armed: a timer left behind would throw, uncaught, when it fired
  let events: Supervisor;
  try {
    events = emitter(sup);
    if (typeof options !== 'object' || options === null) throw new ValueError(`waitForRestart(sup, id, options?) takes { timeout } (got ${describe(options)})`);
  } catch (error) {
    return Promise.reject(error);
  }
  const timeout = options.timeout ?? 5000;
  if (typeof timeout !== 'number' || !(timeout >= 0)) return Promise.reject(new ValueError(`waitForRestart: timeout must be a non-negative number of ms (got ${describe(timeout)})`));
  return new Promise((resolve, reject) => {
    const onEvent = (event: SupervisorEvent): void => {
      if (event.type !== 'restarted' || event.id !== id || !event.ref) return;
      done();
      resolve(event.ref);
    };
    // setTimeout takes at most 2^31-1 ms (more fires at once)
    const timer = setTimeout(() => {
      done();
      reject(new TimeoutError(`child "${id}" was not restarted within ${timeout} ms; raise { timeout } or check the supervisor's events`));
    }, Math.min(timeout, 2 ** 31 - 1));
    const done = (): void => {
      clearTimeout(timer);
      events.off('event', onEvent);
    };
    events.on('event', onEvent);
  });
}

/** Resolves the actor's ExitReason once it has exited (at once if it already has). */
export function waitForExit(ref: ActorRef): Promise<ExitReason> {
  return ref.exited;
}

/** Records every event of `sup` from now on, until `stop()`. */
export function collectEvents(sup: SupervisorLike): { events: SupervisorEvent[]; stop(): void } {
  const events: SupervisorEvent[] = [];
  const onEvent = (event: SupervisorEvent): void => {
    events.push(event);
  };
  emitter(sup).on('event', onEvent);
  return { events, stop: () => emitter(sup).off('event', onEvent) };
}
