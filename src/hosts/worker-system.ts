/**
 * The system as code in a worker sees it: spawn and stop go to main as kernel calls, registered
 * names are answered synchronously from the host's replica of the name table (DESIGN §3.2), and
 * what only the main thread may do (supervise, shutdown) says so.
 */
import { EventEmitter } from 'node:events';
import { RuntimeError } from '../errors.js';
import type { ActorDefinition, ActorRef, SpawnOptions, Supervisor, SupervisorSpec, System } from '../types.js';
import type { HostRuntime } from './host-runtime.js';

export class WorkerSystem extends EventEmitter implements System {
  constructor(private readonly host: HostRuntime) {
    super();
  }

  get name(): string {
    return this.host.systemName;
  }

  get node(): string | undefined {
    return undefined;
  }

  spawn(def: ActorDefinition, options?: SpawnOptions): Promise<ActorRef> {
    return this.host.spawnChild(null, def, options ?? {});
  }

  /** The ref of the actor that holds `name` now, or undefined (the host's replica, sync). */
  get(name: string): ActorRef | undefined {
    const id = this.host.names.get(name);
    return id === undefined ? undefined : this.host.ref(id, name);
  }

  supervise(_spec: SupervisorSpec): Promise<Supervisor> {
    return Promise.reject(new RuntimeError('supervise() runs in the main thread: start supervisors from main, or spawn actors from here'));
  }

  nodes(): Promise<never> {
    return Promise.reject(new RuntimeError('nodes() runs in the main thread that created the system'));
  }

  shutdown(): Promise<void> {
    return Promise.reject(new RuntimeError('shutdown() belongs to the main thread that created the system'));
  }
}
