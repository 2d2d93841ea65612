/**
 * What every primitive's handle is made of: an id, a SharedArrayBuffer with its state, and the id
 * of the lock manager that owns it. A handle's own enumerable data is all it needs to travel; the
 * receiving thread rebuilds it through the constructor, which reads the data being revived
 * instead of its arguments.
 */
import { newId } from '../../id.js';
import { trackAsyncIdentity } from '../../caller.js';
import { registerHandle } from '../../handles.js';
import { localManager } from './client.js';

/** The data a revived handle is built from. */
export type HandleData = Record<string, any> & { id: string; sab: SharedArrayBuffer; mgr: string | undefined };

let reviving: HandleData | undefined;

/** In a constructor: the data being revived, if this is a revival (read once). */
export function takeReviving(): HandleData | undefined {
  const data = reviving;
  reviving = undefined;
  return data;
}

/** Rebuilds a handle from its data through its constructor. */
export function revive<T>(data: HandleData, make: () => T): T {
  reviving = data;
  try {
    return make();
  } finally {
    reviving = undefined;
  }
}

/** The shared state of a new primitive, owned by this thread's system's manager. */
export function fresh(bytes: number): { id: string; sab: SharedArrayBuffer; mgr: string | undefined } {
  // who holds or waits is asked after awaits in actor handlers too (in-thread handles are not revived)
  trackAsyncIdentity();
  return { id: newId(), sab: new SharedArrayBuffer(bytes), mgr: localManager() };
}

/** Registers how a primitive kind is rebuilt on arrival. */
export function revivable(kind: string, make: () => object): void {
  registerHandle(kind, (data: HandleData) => revive(data, make));
}
