/**
 * One interface over the two kinds of actor logic: handler maps (here) and xstate v5 machines
 * (machine.ts). The cell only ever calls init / handlerOf / stop / snapshot / discard.
 */
import type { Definition } from './define.js';
import { machineBehaviour } from './machine.js';
import type { ActorContext, ExitReason } from './types.js';

export interface Behaviour {
  readonly trapExit: boolean;
  /**
   * Its turns may go on after an await (an async handler or init, a machine): once the facade is
   * in use, they run in their caller context (caller.ts). Learned too, when a turn returns a promise.
   */
  mayAwait: boolean;
  /** never tracked across awaits (a built-in that does not call the facade for itself) */
  readonly untracked: boolean;
  init(ctx: ActorContext, args: readonly unknown[], snapshot: unknown): unknown;
  /**
   * The turn for `msg` (it returns the next state, or a promise of it), or undefined when nothing
   * handles it. One lookup per message: the cell's hot path.
   */
  handlerOf(msg: unknown): Turn | undefined;
  stop(state: unknown, reason: ExitReason, ctx: ActorContext): unknown;
  snapshot(state: unknown): unknown;
  /** releases what a killed actor held, without running its cleanup */
  discard(state: unknown): void;
}

export type Turn = (state: unknown, msg: unknown, ctx: ActorContext) => unknown;

const behaviours = new WeakMap<Definition, Behaviour>();

export function behaviourOf(def: Definition): Behaviour {
  let behaviour = behaviours.get(def);
  if (!behaviour) {
    behaviour = def.kind === 'machine' ? machineBehaviour(def.machine!, def.untracked === true) : handlerBehaviour(def);
    behaviours.set(def, behaviour);
  }
  return behaviour;
}

function messageType(msg: unknown): unknown {
  return typeof msg === 'object' && msg !== null ? (msg as { type?: unknown }).type : undefined;
}

/** Declared `async` (its every call returns a promise). */
function isAsync(fn: unknown): boolean {
  const kind = typeof fn === 'function' ? fn.constructor?.name : undefined;
  return kind === 'AsyncFunction' || kind === 'AsyncGeneratorFunction';
}

function handlerBehaviour(def: Definition): Behaviour {
  const spec = def.spec!;
  const receive = spec.receive;
  const untracked = def.untracked === true;
  // a Map, not the spec object: no prototype keys to guard against, one lookup per message
  const turns = new Map(Object.entries(receive) as [string, Turn][]);
  let lastType: unknown;
  let lastTurn: Turn | undefined;
  return {
    trapExit: def.trapExit,
    mayAwait: !untracked && (isAsync(spec.init) || isAsync(spec.onStop) || Object.values(receive).some(isAsync)),
    untracked,
    init: (ctx, args, snapshot) => (snapshot !== undefined ? structuredClone(snapshot) : spec.init ? spec.init(ctx, ...args) : undefined),
    handlerOf: (msg) => {
      const type = messageType(msg);
      // a burst of one type (the common case) costs one comparison per message, not a lookup
      if (type === lastType) return lastTurn;
      lastType = type;
      return (lastTurn = type === undefined ? undefined : turns.get(String(type)));
    },
    stop: (state, reason, ctx) => spec.onStop?.(state, reason, ctx),
    snapshot: (state) => state,
    discard: () => {},
  };
}
