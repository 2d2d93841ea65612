/**
 * An xstate v5 machine inside a troupe cell: the cell's state is the running xstate actor. Its
 * status is watched from init on, not only while a message is handled (DESIGN §3.1): an error
 * (an invoked child's unhandled failure, a rejected promise) exits the actor `error` at once; a
 * final state — reached by a message, a delayed transition, or restored from a snapshot — exits it
 * `normal` with the machine's output as `detail`. Errors are always observed, so a failing machine
 * fails its actor, never its host.
 */
import { createActor, type AnyActor, type AnyStateMachine } from 'xstate';
import type { Behaviour } from './behaviour.js';
import type { ActorContext } from './types.js';

function messageType(msg: unknown): string | undefined {
  return typeof msg === 'object' && msg !== null ? (msg as { type?: string }).type : undefined;
}

/** Ends the cell when the machine's status leaves `active`. */
function watch(actor: AnyActor, ctx: ActorContext): void {
  const settle = (): void => {
    const snapshot = actor.getSnapshot();
    if (snapshot.status === 'error') ctx.stop({ kind: 'error', error: snapshot.error });
    else if (snapshot.status === 'done') ctx.stop({ kind: 'normal', detail: snapshot.output });
  };
  // An observer with `error` also keeps xstate from rethrowing the error globally.
  actor.subscribe({ next: settle, error: settle, complete: settle });
}

export function machineBehaviour(machine: AnyStateMachine, untracked: boolean): Behaviour {
  const fail = (actor: AnyActor): void => {
    const snapshot = actor.getSnapshot();
    if (snapshot.status === 'error') throw snapshot.error;
  };
  const receive = (state: unknown, msg: unknown, ctx: ActorContext): unknown => {
    const actor = state as AnyActor;
    actor.send({ ...(msg as object), ctx } as never);
    fail(actor);
    return actor;
  };
  return {
    trapExit: false,
    // invoked promises and callbacks run on after the turn that started them
    mayAwait: !untracked,
    untracked,
    init: (ctx, args, snapshot) => {
      const actor = createActor(machine, {
        input: args[0],
        ...(snapshot !== undefined ? { snapshot: structuredClone(snapshot) as never } : {}),
      });
      watch(actor, ctx);
      Object.defineProperty(actor, 'troupeCtx', { value: ctx });
      actor.start();
      fail(actor);
      const status = actor.getSnapshot().status;
      if (status === 'done') ctx.stop({ kind: 'normal', detail: actor.getSnapshot().output });
      return actor;
    },
    handlerOf: (msg) => (messageType(msg) !== undefined ? receive : undefined),
    stop: (state) => (state as AnyActor | undefined)?.stop(),
    snapshot: (state) => (state as AnyActor).getPersistedSnapshot(),
    discard: (state) => {
      try {
        (state as AnyActor | undefined)?.stop();
      } catch {
        // a killed machine is discarded whatever its stop() does
      }
    },
  };
}
