/**
 * The managers of one system, as a kernel extension: it starts manager actors in main (for
 * `Manager()` in main, and through its ops for `Manager()` inside a worker) and stops them.
 */
import { defineExtension, type SystemExtension } from '../../src/extension.js';
import type { SystemImpl } from '../../src/system/system.js';
import { ManagerActor } from './manager.js';

/** The system side of the managers: starts and stops manager actors in main. */
export class Managers implements SystemExtension {
  readonly ops = {
    start: (): string => this.start(),
    stop: ([id]: [string]): Promise<void> => this.stop(id),
  };

  constructor(private readonly system: SystemImpl) {}

  /** Starts a manager actor in main (its init is synchronous: it is up on return); returns its id. */
  start(): string {
    return this.system.placement.spawnInMain(ManagerActor, {});
  }

  /** Stops a manager and, first, the instance actors it owns. */
  stop(id: string): Promise<void> {
    return this.system.ref(id).stop();
  }
}

/** The managers extension (ops `start`, `stop` for Manager() inside workers). */
export const MANAGERS = defineExtension<Managers>({
  name: 'troupe.managers',
  create: (system) => new Managers(system),
});
