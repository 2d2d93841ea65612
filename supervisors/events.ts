/**
 * A supervisor's reports: every event goes to the structured log (pino, with the supervisor's
 * name, the child id, the actor id, the reason and the restart count) and to the Supervisor
 * object's 'event' listeners. Abnormal exits log at warn, failed restarts and giving up at error.
 */
import type { Logger } from 'pino';
import type { ExitReason, SupervisorEvent } from '../src/types.js';

/** Where a supervisor's events go (its Supervisor object). */
export interface SupervisorEvents {
  readonly listening: boolean;
  deliver(event: SupervisorEvent): void;
}

export const isNormal = (reason: ExitReason): boolean => reason.kind === 'normal' || reason.kind === 'shutdown';

function levelOf(event: SupervisorEvent): 'info' | 'warn' | 'error' {
  if (event.type === 'restart_failed') return 'error';
  if (event.type === 'shutdown' && event.reason?.detail === 'reached_max_restart_intensity') return 'error';
  return event.reason !== undefined && !isNormal(event.reason) ? 'warn' : 'info';
}

export function report(log: Logger, events: SupervisorEvents, event: SupervisorEvent): void {
  const level = levelOf(event);
  if (log.isLevelEnabled(level)) {
    const { reason } = event;
    log[level](
      { event: event.type, child: event.id, actor: event.ref?.id, reason: reason && { kind: reason.kind, detail: reason.detail }, err: reason?.error, restarts: event.restarts },
      `supervisor ${event.supervisor}: ${event.type}${event.id === undefined ? '' : ` ${event.id}`}`,
    );
  }
  if (event.type === 'shutdown' || events.listening) events.deliver(event);
}
