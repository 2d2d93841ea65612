/**
 * The host runtime of this worker thread, if it is one. Kept behind a globalThis slot: user code
 * may load another copy of troupe (built dist vs src) than the host runs, and must find it too.
 */
import type { HostRuntime } from './host-runtime.js';

const SLOT = Symbol.for('troupe.host');
type Slots = Record<symbol, HostRuntime | undefined>;

export function currentHost(): HostRuntime | undefined {
  return (globalThis as Slots)[SLOT];
}

export function setCurrentHost(host: HostRuntime | undefined): void {
  if (host) (globalThis as Slots)[SLOT] = host;
  else delete (globalThis as Slots)[SLOT];
}
