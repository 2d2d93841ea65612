/**
 * Who is calling, on this thread: the actor whose handler runs synchronously right now, and — once
 * the facade's handles are used in the thread — the actor an async continuation belongs to
 * (AsyncLocalStorage), so a lock's owner or a queue item's consumer is known after an `await` in a
 * handler too. Both live behind globalThis slots: every runtime and every copy of troupe in the
 * thread must agree (a main-placed actor of one system may call facade code that uses another
 * system's runtime, and must still be known as the caller).
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const ACTIVE = Symbol.for('troupe.activeActor');
const IDENTITY = Symbol.for('troupe.asyncIdentity');
type Slots = Record<symbol, unknown>;

/** The actor whose handler runs synchronously right now. */
export const active: { id: string | undefined } = ((globalThis as Slots)[ACTIVE] ??= { id: undefined }) as { id: string | undefined };

export function asyncIdentity(): AsyncLocalStorage<string> | undefined {
  return (globalThis as Slots)[IDENTITY] as AsyncLocalStorage<string> | undefined;
}

/**
 * Makes the calling actor known after `await`s in its handlers too. Off until the facade's
 * queues, pipes or locks are used in a thread (they need the caller); plain actor traffic does not
 * pay for it.
 */
export function trackAsyncIdentity(): void {
  (globalThis as Slots)[IDENTITY] ??= new AsyncLocalStorage<string>();
}
