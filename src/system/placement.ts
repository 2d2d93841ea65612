/**
 * Where a new actor runs and how it starts there: in the main thread (its cell starts before
 * spawn() returns when its init is synchronous), on the least-loaded shared host, or on an
 * exclusive host of its own. The id and the name are reserved first (a second spawn with the same
 * name fails with NameTakenError at once); a child spawned with ctx.spawn is linked to its parent
 * and owned by it.
 */
import { newId } from '../id.js';
import { describe as showValue } from '../describe.js';
import { asDefinition, describe, isDefinition, locate, type Definition, type Locator } from '../define.js';
import { NameTakenError, RuntimeError, ValueError } from '../errors.js';
import { checkCloneable, reviveHandles } from '../handles.js';
import type { SpawnRequest } from '../hosts/protocol.js';
import { Ref } from '../ref.js';
import type { ActorDefinition, ActorRef, Placement as Where, SpawnOptions } from '../types.js';
import type { Entry } from './directory.js';
import type { SystemImpl } from './system.js';

/** A spawn requested by a worker: the definition arrives as a locator. */
export interface LocatedSpawn extends SpawnOptions {
  parent?: string | null;
  trapExit?: boolean;
  label?: string;
}

export class Placement {
  constructor(private readonly system: SystemImpl) {}

  spawn(def: ActorDefinition, options: SpawnOptions, parent: string | null): Promise<ActorRef> {
    let definition: ReturnType<typeof asDefinition>;
    let where: Where;
    try {
      definition = asDefinition(def);
      where = checkSpawnOptions(options);
    } catch (error) {
      return Promise.reject(error);
    }
    const clustered = this.system.cluster?.spawn(def, options, parent);
    if (clustered) return clustered;
    if (where === 'main') return this.inMain(definition, options, parent, false);
    return locate(definition).then((locator) => this.onHost(locator, definition.name, definition.trapExit, where, options, parent));
  }

  /** Starts an actor in main; `fromWorker`: its args are in their wire form (a worker's spawn). */
  private inMain(definition: Definition, options: SpawnOptions, parent: string | null, fromWorker: boolean): Promise<ActorRef> {
    const runtime = this.system.runtime;
    return this.place(definition.name, options, parent, definition.trapExit, (entry) => {
      // the handles among them (refs, queues, pipe ends) become live ones, held by the new actor
      const args = fromWorker ? reviveHandles(options.args ?? [], runtime, entry.id) : (options.args ?? []);
      return runtime.startCell(definition, entry.id, entry.name, parent, args, options.snapshot);
    });
  }

  /**
   * Starts an actor in main whose init is synchronous, before returning its id (a built-in actor
   * a handle needs at once); `id` may be chosen by the caller (a worker that made the handle).
   */
  spawnInMain(def: ActorDefinition, options: SpawnOptions, id?: string): string {
    const definition = asDefinition(def);
    const runtime = this.system.runtime;
    let placed: string | undefined;
    const started = this.place(definition.name, options, null, definition.trapExit, (entry) => {
      placed = entry.id;
      const init = runtime.startCell(definition, entry.id, entry.name, null, options.args ?? [], options.snapshot);
      if (init !== undefined) throw new RuntimeError(`${definition.name}'s init must be synchronous to start it in place`);
      return undefined;
    }, id);
    started.catch(() => {});
    if (placed === undefined || !this.system.isAlive(placed)) {
      throw new RuntimeError(this.system.closed ? `system ${this.system.name} has shut down; create a new one` : `${definition.name} could not start`);
    }
    return placed;
  }

  /** A spawn requested by a worker (the `spawn` kernel op). */
  async spawnLocated(locator: Locator, options: LocatedSpawn): Promise<ActorRef> {
    const where = checkSpawnOptions(options);
    const parent = options.parent ?? null;
    if (this.system.cluster && ((options.node !== undefined && options.node !== this.system.node) || options.global === true)) {
      // §10: a worker's spawn on another node (or with a global name) goes through the cluster
      const { load } = await import('../hosts/load.js');
      const def = await load(locator);
      if (!isDefinition(def)) throw new ValueError(`the export ${locator.by === 'export' ? locator.exportName : locator.name} is not an actor definition`);
      return this.spawn(def, options, parent);
    }
    if (where === 'main') {
      const { load } = await import('../hosts/load.js');
      const def = await load(locator);
      if (!isDefinition(def)) throw new ValueError(`the export ${locator.by === 'export' ? locator.exportName : locator.name} is not an actor definition`);
      return this.inMain(asDefinition(def), options, parent, true);
    }
    const label = options.label ?? (locator.by === 'export' ? locator.exportName : locator.name);
    return this.onHost(locator, label, options.trapExit ?? false, where, options, parent);
  }

  private async onHost(locator: Locator, label: string, trapExit: boolean, where: Where, options: SpawnOptions, parent: string | null): Promise<ActorRef> {
    const pool = this.system.hostPool();
    const host = where === 'exclusive' ? await pool.exclusiveHost() : await pool.sharedHost();
    return this.place(label, options, parent, trapExit, async (entry): Promise<void> => {
      entry.site = host.site;
      host.load++;
      const args = [...(options.args ?? [])];
      const request: SpawnRequest = { t: 'spawn', rid: 0, id: entry.id, name: entry.name, parent, loc: locator, args, snapshot: options.snapshot };
      if (checkCloneable(args, 'spawn args')) request.handles = 1;
      checkCloneable(options.snapshot, 'snapshot');
      await this.system.hosts.spawn(host, request).catch((error: unknown) => {
        host.load--;
        if (host.mode === 'exclusive') host.post({ t: 'close' });
        throw error;
      });
    });
  }

  /** Reserves the id and name, runs `start`, then links the child to its parent. */
  private place(label: string, options: SpawnOptions, parent: string | null, trapExit: boolean, start: (entry: Entry) => Promise<void> | undefined, id: string = newId()): Promise<ActorRef> {
    const system = this.system;
    if (system.closed) return Promise.reject(new RuntimeError(`system ${system.name} has shut down; create a new one to spawn actors`));
    const name = options.name;
    if (name !== undefined && system.directory.idOf(name) !== undefined) {
      return Promise.reject(new NameTakenError(`the name "${name}" is already registered to a live actor; pick another or stop it first`));
    }
    const entry: Entry = { id, site: system.runtime.site, name, label: name ?? label, trapExit, parent };
    system.addEntry(entry);
    let started: Promise<void> | undefined;
    try {
      started = start(entry);
    } catch (error) {
      this.unplace(entry);
      return Promise.reject(error);
    }
    // A synchronous init needs no promise chain: the common case for small actors.
    if (started === undefined) return Promise.resolve(this.placed(entry));
    return started.then(
      () => this.placed(entry),
      (error: unknown) => {
        this.unplace(entry);
        throw error;
      },
    );
  }

  private placed(entry: Entry): ActorRef {
    const system = this.system;
    if (entry.parent !== null) {
      if (system.directory.entries.get(entry.id) === entry) {
        const parent = system.directory.entries.get(entry.parent);
        if (parent) (parent.children ??= new Set()).add(entry.id);
        system.link(entry.parent, entry.id);
      } else {
        // It exited before its spawn returned (a machine restored in a final state): the parent
        // hears what the link would have carried, not a `noproc` for linking to the dead.
        const reason = system.directory.lastExit(entry.id);
        if (reason !== undefined && reason.kind !== 'normal') system.linkedExited(entry.parent, entry.id, reason);
      }
    }
    return new Ref(system.runtime, entry.id, entry.name);
  }

  private unplace(entry: Entry): void {
    this.system.directory.drop(entry);
    if (entry.name !== undefined) this.system.nameChanged(entry.name, undefined);
  }
}

export function checkSpawnOptions(options: SpawnOptions): Where {
  if (typeof options !== 'object' || options === null) throw new ValueError(`spawn options must be an object, got ${describe(options)}`);
  const where = options.placement ?? 'shared';
  if (where !== 'shared' && where !== 'exclusive' && where !== 'main') {
    throw new ValueError(`placement must be 'shared', 'exclusive' or 'main' (got ${typeof where === 'string' ? JSON.stringify(where) : showValue(where)})`);
  }
  if (options.args !== undefined && !Array.isArray(options.args)) throw new ValueError(`spawn { args } must be an array of init arguments (got ${describe(options.args)})`);
  if (options.name !== undefined && (typeof options.name !== 'string' || options.name === '')) {
    throw new ValueError(`spawn { name } must be a non-empty string (got ${describe(options.name)})`);
  }
  return where;
}
