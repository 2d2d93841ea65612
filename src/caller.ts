/**
 * Who is calling, on this thread: the actor whose handler runs synchronously right now, and — when
 * it matters — the actor an async continuation belongs to (AsyncLocalStorage), so a lock's owner or
 * a queue item's consumer is known after an `await` in a handler too. It matters once both hold:
 * the facade's handles are used in the thread (they need the caller), and an actor whose turns may
 * await lives there (an async handler, or one that returned a promise). Until then — and again
 * once those actors are gone — no AsyncLocalStorage exists: on Node 20 and 22 it turns on promise
 * hooks for the whole thread, which costs every promise and every send.
 * Everything lives behind globalThis slots: every runtime and every copy of troupe in the thread
 * must agree (a main-placed actor of one system may call facade code that uses another system's
 * runtime, and must still be known as the caller).
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const ACTIVE = Symbol.for('troupe.activeActor');
const NEEDS = Symbol.for('troupe.callerNeeds');
type Slots = Record<symbol, unknown>;

/** The actor whose handler runs synchronously right now. */
export const active: { id: string | undefined } = ((globalThis as Slots)[ACTIVE] ??= { id: undefined }) as { id: string | undefined };

/** What asks for tracking across awaits in this thread. */
interface Needs {
  facade: boolean;
  awaiting: number;
  held: boolean;
  /** the storage while tracking is on (read on every send: a plain property, not a global slot) */
  identity: AsyncLocalStorage<string> | undefined;
}
const needs = ((globalThis as Slots)[NEEDS] ??= { facade: false, awaiting: 0, held: false, identity: undefined }) as Needs;

export function asyncIdentity(): AsyncLocalStorage<string> | undefined {
  return needs.identity;
}

function update(): void {
  const want = needs.facade && needs.awaiting > 0;
  const identity = needs.identity;
  if (want && identity === undefined) needs.identity = new AsyncLocalStorage<string>();
  else if (!want && identity !== undefined) {
    identity.disable();
    needs.identity = undefined;
  }
}

/** The facade's queues, pipes or locks are used in this thread: callers must be known. */
export function trackAsyncIdentity(): void {
  if (needs.facade) return;
  needs.facade = true;
  update();
}

/**
 * An actor whose turns may await started in this thread (+1), or ended (-1). While one lives and
 * the facade is in use, its turns run in its caller context.
 */
export function awaitingActors(delta: 1 | -1): void {
  needs.awaiting += delta;
  if (needs.awaiting <= 1) update();
}

/** Tracking for code that is not an actor's turn but runs as one (a remote caller): kept on. */
export function holdAsyncIdentity(): AsyncLocalStorage<string> {
  if (!needs.held) {
    needs.held = true;
    needs.facade = true;
    needs.awaiting++;
    update();
  }
  return asyncIdentity()!;
}
