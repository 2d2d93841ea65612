/**
 * The lazily created system the multiprocessing facade uses. In a worker it is the host's view of
 * the system that owns the worker; the main-thread system is kept behind a globalThis slot, shared
 * by every troupe copy.
 */
import { RuntimeError } from './errors.js';
import { currentHost } from './hosts/current.js';
import { SystemImpl } from './system/system.js';
import type { System } from './types.js';

const SLOT = Symbol.for('troupe.defaultSystem');
type Slots = Record<symbol, SystemImpl | undefined>;

/** The system the facade uses (created on first use; sync). */
export function defaultSystem(): System {
  const host = currentHost();
  if (host) return host.system;
  return mainSystem();
}

/** The main thread's default system, recreated if the previous one was shut down. */
export function mainSystem(): SystemImpl {
  if (currentHost()) throw new RuntimeError('internal: the main-thread system was asked for inside a worker; use the host runtime');
  const slots = globalThis as Slots;
  let system = slots[SLOT];
  if (!system || system.closed) {
    system = new SystemImpl({ name: 'default' });
    slots[SLOT] = system;
  }
  return system;
}

/** The default system if it was created and is still running (the testing setup shuts it down). */
export function existingDefaultSystem(): SystemImpl | undefined {
  const system = (globalThis as Slots)[SLOT];
  return system && !system.closed ? system : undefined;
}
