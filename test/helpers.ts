import pino from 'pino';
import { createSystem, type System } from 'troupe';

/** A quiet system for tests (errors are asserted, not printed). */
export function testSystem(options: { hosts?: number; watchdog?: number } = {}): Promise<System> {
  return createSystem({ hosts: options.hosts ?? 2, watchdog: options.watchdog, logger: pino({ level: 'silent' }) });
}

/** Resources that keep the event loop alive (workers, ports, timers), for leak checks. */
export function liveHandles(): string[] {
  return process.getActiveResourcesInfo().filter((kind) => kind !== 'TTYWrap' && kind !== 'PipeWrap' && kind !== 'FSReqCallback');
}
