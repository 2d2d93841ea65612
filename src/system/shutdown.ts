/**
 * Ending actors in order, bounded in time: a system's shutdown (extensions first, then top-level
 * actors in reverse start order, each stopping what it owns, then the workers) and the stop of
 * an exiting actor's owned children. A stop that outlasts its bound becomes a kill, so neither
 * ever hangs on a handler that does not return.
 */
import { NoProcError, RuntimeError } from '../errors.js';
import type { SystemExtension } from '../extension.js';
import type { ExitReason } from '../types.js';
import type { Entry } from './directory.js';
import type { SystemImpl } from './system.js';

/** How long a graceful stop may take during shutdown before the actor is killed. */
const SHUTDOWN_MS = 5000;

/** Stops `id` gracefully; kills it if it has not exited within `ms`. */
export async function stopBounded(system: SystemImpl, id: string, reason: ExitReason, ms = SHUTDOWN_MS): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const stopped = system.stopActor(id, reason);
  const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), ms)));
  const late = await Promise.race([stopped.then(() => false), timedOut]);
  clearTimeout(timer);
  if (late) system.terminate(id, { kind: 'killed', detail: 'shutdown timeout' });
}

/** Stops the children an exiting actor owns (they no longer signal it: it is gone). */
export async function stopOwned(system: SystemImpl, owner: Entry): Promise<void> {
  const children = [...(owner.children ?? [])];
  owner.children?.clear();
  await Promise.all(
    children.map((child) => {
      system.unlink(owner.id, child);
      return stopBounded(system, child, { kind: 'shutdown' });
    }),
  );
}

/** `leave`: after the actors have stopped (their exits reach other nodes), before the workers end. */
export async function shutdownSystem(system: SystemImpl, extensions: SystemExtension[], leave: () => Promise<void> | undefined): Promise<void> {
  for (const extension of extensions) {
    try {
      await extension.shutdown?.();
    } catch (error) {
      system.log.error({ err: error }, 'an extension failed to shut down');
    }
  }
  // Top-level actors in reverse start order; each stops its own children.
  const entries = system.directory.entries;
  for (const entry of [...entries.values()].reverse()) {
    if (!entries.has(entry.id) || entry.parent !== null) continue;
    await stopBounded(system, entry.id, { kind: 'shutdown' });
  }
  for (const entry of [...entries.values()].reverse()) system.terminate(entry.id, { kind: 'killed', detail: 'system shutdown' });
  try {
    await leave();
  } catch (error) {
    system.log.error({ err: error }, 'leaving the cluster failed');
  }
  system.runtime.rejectAllPending(new NoProcError(`system ${system.name} shut down before the reply`));
  system.hosts.rejectAll(new RuntimeError(`system ${system.name} shut down during a spawn or task`));
  await system.startedPool?.destroy();
  system.directory.clear();
  system.log.flush?.();
}
