/**
 * The testing kit's way into a system (troupe/testing): crash or hang an actor wherever it lives,
 * or end the worker that hosts it. Each returns false when the actor is not alive.
 */
import { serializeError } from '../errors.js';
import type { SystemImpl } from './system.js';

export type Fault = { crash: Error } | { hang: number };

/** Makes an actor throw at its next turn, or blocks its handler loop for `hang` ms. */
export function inject(system: SystemImpl, id: string, fault: Fault): boolean {
  const entry = system.directory.get(id);
  if (!entry) return false;
  const cell = system.runtime.cells.get(entry.id);
  if (cell) {
    if ('crash' in fault) {
      cell.injected = fault.crash;
      cell.enqueue({ to: entry.id, msg: { type: '$crash' } });
    } else {
      cell.hang(fault.hang);
    }
    return true;
  }
  const host = system.hostOf(entry.id);
  if (!host) return false;
  if ('crash' in fault) host.post({ t: 'crash', id: entry.id, error: serializeError(fault.crash) });
  else host.post({ t: 'hang', id: entry.id, ms: fault.hang });
  return true;
}

/** Ends the worker hosting `id`; resolves once its actors' exits were reported (false: no such host). */
export async function killHost(system: SystemImpl, id: string): Promise<boolean> {
  const host = system.hostOf(id);
  if (!host) return false;
  const ended = system.hostEnd(host);
  host.terminate();
  await ended;
  return true;
}
