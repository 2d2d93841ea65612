/**
 * Queue servers live in the main thread, as actors. Main's own code (outside any actor) reaches a
 * server beside it directly instead of by message: the call runs now what the server's next turn
 * would run, without an envelope, a turn, a claimable batch and a reply to settle. The same rules
 * keep the order a message would have:
 * - a put goes in directly only while the server has nothing queued (else it goes behind that);
 * - a get takes the head item itself, or parks as a getter the server answers with one item. Main's
 *   code never dies alone, so nothing handed over this way has to come back. A get that would
 *   answer Empty at once, or after a timeout, takes the direct path only while the server has
 *   nothing queued (a put already sent must be seen first).
 * In a worker, and for the other thread's servers, handles keep to messages.
 */
import { QUEUE_SERVERS } from '../../actors/queue-server/extension.js';
import type { QueueState } from '../../actors/queue-server/queue-state.js';
import { existingDefaultSystem } from '../default-system.js';
import { inWorker } from '../kernel-call.js';
import type { Runtime } from '../runtime.js';

/** The state of server `id` if it runs in this thread on `runtime` (main), else undefined. */
export function serverHere(runtime: Runtime, id: string): QueueState | undefined {
  if (inWorker()) return undefined;
  const system = existingDefaultSystem();
  if (system === undefined || system.runtime !== runtime) return undefined;
  const state = system.extension(QUEUE_SERVERS).live.get(id);
  return state !== undefined && !state.stopped ? state : undefined;
}
