/**
 * One interface over the two kinds of actor logic: handler maps and xstate v5 machines. The cell
 * only ever calls init / receive / stop / snapshot; xstate errors are always observed here, so a
 * failing machine fails its actor, never its host.
 */
import { createActor, type AnyActor, type AnyStateMachine } from 'xstate';
import type { Definition } from './define.js';
import type { ActorContext, ExitReason } from './types.js';

export interface Behaviour {
  readonly trapExit: boolean;
  init(ctx: ActorContext, args: readonly unknown[], snapshot: unknown): unknown;
  /** returns the next state, or a promise of it; `undefined` type → unhandled */
  receive(state: unknown, msg: unknown, ctx: ActorContext): unknown;
  handles(msg: unknown): boolean;
  stop(state: unknown, reason: ExitReason, ctx: ActorContext): unknown;
  snapshot(state: unknown): unknown;
  /** releases what a killed actor held, without running its cleanup */
  discard(state: unknown): void;
}

const behaviours = new WeakMap<Definition, Behaviour>();

export function behaviourOf(def: Definition): Behaviour {
  let behaviour = behaviours.get(def);
  if (!behaviour) {
    behaviour = def.kind === 'machine' ? machineBehaviour(def.machine!) : handlerBehaviour(def);
    behaviours.set(def, behaviour);
  }
  return behaviour;
}

function messageType(msg: unknown): string | undefined {
  return typeof msg === 'object' && msg !== null ? (msg as { type?: string }).type : undefined;
}

function handlerBehaviour(def: Definition): Behaviour {
  const spec = def.spec!;
  const receive = spec.receive;
  return {
    trapExit: def.trapExit,
    init: (ctx, args, snapshot) => (snapshot !== undefined ? structuredClone(snapshot) : spec.init ? spec.init(ctx, ...args) : undefined),
    handles: (msg) => {
      const type = messageType(msg);
      return type !== undefined && Object.hasOwn(receive, type);
    },
    receive: (state, msg, ctx) => receive[(msg as { type: string }).type]!(state, msg, ctx),
    stop: (state, reason, ctx) => spec.onStop?.(state, reason, ctx),
    snapshot: (state) => state,
    discard: () => {},
  };
}

/** An xstate actor inside a troupe cell: its state is the running xstate actor. */
function machineBehaviour(machine: AnyStateMachine): Behaviour {
  const fail = (actor: AnyActor): void => {
    const snapshot = actor.getSnapshot();
    if (snapshot.status === 'error') throw snapshot.error;
  };
  return {
    trapExit: false,
    init: (ctx, args, snapshot) => {
      const actor = createActor(machine, {
        input: args[0],
        ...(snapshot !== undefined ? { snapshot: structuredClone(snapshot) as never } : {}),
      });
      // An observer with `error` keeps xstate from rethrowing globally; we rethrow in the cell.
      actor.subscribe({ error: () => {} });
      Object.defineProperty(actor, 'troupeCtx', { value: ctx });
      actor.start();
      fail(actor);
      return actor;
    },
    handles: (msg) => messageType(msg) !== undefined,
    receive: (state, msg, ctx) => {
      const actor = state as AnyActor;
      actor.send({ ...(msg as object), ctx } as never);
      fail(actor);
      if (actor.getSnapshot().status === 'done') ctx.stop({ kind: 'normal', detail: actor.getSnapshot().output });
      return actor;
    },
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
