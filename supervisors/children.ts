/**
 * How a supervisor starts and stops one child, whatever it is: an actor definition, a nested
 * supervisor spec, or a function (a Process target). Every child ends up linked to its supervisor,
 * so its exit arrives as an EXIT message. A child whose registered name is held by another actor
 * fails with `already_started` and the holder as `pid` (OTP's {error, {already_started, Pid}});
 * any other start failure is `failed_to_start_child`. Stopping follows OTP's shutdown rules:
 * unlink first (the supervisor is not told about exits it caused), then a graceful stop bounded
 * by the child's `shutdown` (ms → kill after the timeout, 'brutal_kill' → kill at once,
 * 'infinity' → wait); the kill wins even over an onStop still running.
 */
import { NameTakenError, SupervisorError } from '../src/errors.js';
import { registeredExtensions } from '../src/extension.js';
import type { SystemImpl } from '../src/system/system.js';
import type { ActorDefinition, ActorRef, ExitReason, ShutdownSpec } from '../src/types.js';
import type { NormalChildSpec, NormalSupervisorSpec } from './child-spec.js';

/** Starts a nested supervisor under `parentId` (given by whoever started this supervisor). */
export type StartSupervisor = (spec: NormalSupervisorSpec, parentId: string, name: string | undefined) => Promise<ActorRef>;

/** A child's registered name is held by another actor (`holder`, if it is still there). */
class NameHeld extends Error {
  constructor(
    readonly registered: string,
    readonly holder: ActorRef | undefined,
    options?: ErrorOptions,
  ) {
    super(`the name "${registered}" is registered to ${holder === undefined ? 'another actor' : `actor ${holder.id}`}`, options);
    this.name = 'NameHeld';
  }
}

/** The registered name a child starts with: its spec's `name`, or a nested supervisor's own. */
function nameOf(spec: NormalChildSpec): string | undefined {
  return spec.name ?? (spec.kind === 'supervisor' ? (spec.start as NormalSupervisorSpec).registered : undefined);
}

/**
 * Starts one child linked to the supervisor `supId`; rejects with the start error (init threw,
 * name held, unloadable module, ...). `snapshot` restores a persisted state (restartFrom).
 */
export async function startChildProcess(
  system: SystemImpl,
  supId: string,
  spec: NormalChildSpec,
  args: readonly unknown[],
  snapshot: unknown,
  startSupervisor: StartSupervisor,
): Promise<ActorRef> {
  const name = nameOf(spec);
  const holder = name === undefined ? undefined : system.get(name);
  if (name !== undefined && holder !== undefined) throw new NameHeld(name, holder);
  try {
    return await startKind(system, supId, spec, args, snapshot, startSupervisor, name);
  } catch (error) {
    // taken while this child's module was loading
    if (error instanceof NameTakenError && name !== undefined) throw new NameHeld(name, system.get(name), { cause: error });
    throw error;
  }
}

/** The SupervisorError a failed child start answers with (`when`: what the caller tells of it). */
export function startFailure(supervisor: string, id: string, error: unknown, when = ''): SupervisorError {
  if (error instanceof NameHeld) {
    const options = error.holder === undefined ? { cause: error } : { pid: error.holder, cause: error };
    return new SupervisorError('already_started', `supervisor "${supervisor}" could not start child "${id}": ${error.message}; stop it or give the child another name${when}`, options);
  }
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new SupervisorError('failed_to_start_child', `supervisor "${supervisor}" could not start child "${id}" (${reason})${when}`, { cause: error });
}

function startKind(
  system: SystemImpl,
  supId: string,
  spec: NormalChildSpec,
  args: readonly unknown[],
  snapshot: unknown,
  startSupervisor: StartSupervisor,
  name: string | undefined,
): Promise<ActorRef> {
  switch (spec.kind) {
    case 'actor': {
      const options = { args, name, placement: spec.placement, snapshot, node: spec.node };
      return system.placement.spawn(spec.start as ActorDefinition, options, supId);
    }
    case 'supervisor':
      return startSupervisor(spec.start as NormalSupervisorSpec, supId, name);
    case 'function': {
      // a kind an extension starts (a Process target), linked to the supervisor before it can exit
      const kind = registeredExtensions().find((def) => def.childKind?.accepts(spec.start))?.childKind;
      if (!kind) return Promise.reject(new SupervisorError('bad_start_spec', `child "${spec.id}": nothing can start a function child here; import from "troupe" (it loads the multiprocessing facade)`));
      return kind.start(system, spec.start, args, { name, parent: supId });
    }
  }
}

/**
 * Stops a child the way its `shutdown` says and resolves with its exit reason. The child is
 * unlinked first, so its exit does not come back to the supervisor as an EXIT message.
 */
export async function stopChildProcess(system: SystemImpl, supId: string, ref: ActorRef, shutdown: ShutdownSpec, kind: NormalChildSpec['kind']): Promise<ExitReason> {
  const id = ref.id;
  system.unlink(supId, id);
  const exited = system.exitOf(id);
  if (!system.isAlive(id)) return exited;
  if (shutdown === 'brutal_kill') {
    system.terminate(id, { kind: 'killed', detail: 'brutal_kill' });
    return exited;
  }
  const reason: ExitReason = { kind: 'shutdown' };
  // A Process target has no mailbox to read a stop request from: it is terminated (SIGTERM-like).
  if (kind === 'function') system.terminate(id, reason, true);
  else void system.stopActor(id, reason);
  if (shutdown === 'infinity') return exited;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), shutdown);
  });
  const first = await Promise.race([exited, late]);
  clearTimeout(timer);
  if (first !== undefined) return first;
  system.terminate(id, { kind: 'killed', detail: 'shutdown timeout' });
  return exited;
}
