/**
 * The Supervisor object users hold (DESIGN §5): an EventEmitter of SupervisorEvents plus the admin
 * API, each call an ask to the supervisor actor (no timeout, like OTP's supervisor calls). Also the
 * one place supervisors are started, top-level or nested, and the registry that finds the
 * Supervisor object of a nested supervisor from its ref.
 */
import { EventEmitter } from 'node:events';
import { SupervisorError } from '../src/errors.js';
import type { SystemImpl } from '../src/system/system.js';
import type { ActorRef, ChildCounts, ChildRow, ChildSpec, ExitReason, Supervisor, SupervisorEvent } from '../src/types.js';
import type { NormalSupervisorSpec } from './child-spec.js';
import { SupervisorActor, type SupervisorSetup } from './supervisor.js';

const live = new Map<string, SupervisorHandle>();

export class SupervisorHandle extends EventEmitter implements Supervisor {
  /** the supervisor's name (logs and events) */
  readonly name: string;
  private actor: ActorRef | undefined;
  private shutdownSeen = false;

  constructor(name: string) {
    super();
    this.name = name;
  }

  /** @internal does anyone listen (so the supervisor can skip building events)? */
  get listening(): boolean {
    return this.listenerCount('event') > 0;
  }

  /** @internal emits one of the supervisor's events */
  deliver(event: SupervisorEvent): void {
    if (event.type === 'shutdown') this.shutdownSeen = true;
    this.emit('event', event);
  }

  get ref(): ActorRef {
    return this.actor!;
  }

  get exited(): Promise<ExitReason> {
    return this.ref.exited;
  }

  startChild(specOrExtraArgs: ChildSpec | readonly unknown[]): Promise<{ pid: ActorRef | null }> {
    return this.call('$start_child', specOrExtraArgs);
  }

  terminateChild(idOrRef: string | ActorRef): Promise<void> {
    return this.call('$terminate_child', idOrRef);
  }

  restartChild(id: string): Promise<{ pid: ActorRef | null }> {
    return this.call('$restart_child', id);
  }

  deleteChild(id: string): Promise<void> {
    return this.call('$delete_child', id);
  }

  whichChildren(): Promise<ChildRow[]> {
    return this.call('$which_children');
  }

  countChildren(): Promise<ChildCounts> {
    return this.call('$count_children');
  }

  /** Stops the children in reverse start order, then the supervisor (reason normal). */
  stop(): Promise<void> {
    return this.ref.stop();
  }

  private call<T>(type: string, arg?: unknown): Promise<T> {
    return this.ref.ask<T>({ type, arg }, { timeout: Infinity });
  }

  /** @internal binds the actor once spawned; a kill (no onStop) still gets its shutdown event */
  bind(ref: ActorRef): void {
    this.actor = ref;
    live.set(ref.id, this);
    void ref.exited.then((reason) => {
      live.delete(ref.id);
      if (!this.shutdownSeen) this.deliver({ type: 'shutdown', supervisor: this.name, id: undefined, reason });
    });
  }
}

/**
 * Starts a supervisor actor in main, linked to `parentId` when nested, registered as `name`. A name
 * held by another actor fails the start with `already_started` and the holder as `pid` (OTP's
 * start_link answer).
 */
export async function startSupervisor(system: SystemImpl, spec: NormalSupervisorSpec, parentId: string | null, name: string | undefined): Promise<SupervisorHandle> {
  const holder = name === undefined ? undefined : system.get(name);
  if (holder !== undefined) {
    throw new SupervisorError('already_started', `supervisor "${spec.name}" cannot start: the name "${name}" is registered to actor ${holder.id}; stop it or choose another name`, { pid: holder });
  }
  const handle = new SupervisorHandle(spec.name);
  const startNested = async (nested: NormalSupervisorSpec, parent: string, nestedName: string | undefined): Promise<ActorRef> =>
    (await startSupervisor(system, nested, parent, nestedName)).ref;
  const setup: SupervisorSetup = { system, spec, events: handle, startNested };
  const ref = await system.placement.spawn(SupervisorActor, { placement: 'main', args: [setup], name }, parentId);
  handle.bind(ref);
  return handle;
}

/** The Supervisor object of a live supervisor actor (a nested one included). */
export function supervisorOf(ref: ActorRef): Supervisor | undefined {
  return live.get(ref.id);
}
