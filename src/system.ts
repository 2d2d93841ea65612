/**
 * The System, in the main thread: the directory of every live actor (id → site, name, links,
 * monitors), placement on hosts, routing between sites, exit propagation (links, monitors,
 * waiters), dead letters, kernel calls from workers, and ordered, bounded shutdown. Durable state
 * lives here, so a worker's death loses nothing that reached main.
 */
import { EventEmitter } from 'node:events';
import { nanoid } from 'nanoid';
import pino, { type Logger } from 'pino';
import type { Envelope } from './cell.js';
import { isDefinition } from './define.js';
import { NameTakenError, NoProcError, RuntimeError, reviveError, serializeError, ValueError } from './errors.js';
import { checkCloneable, registerHandle, reviveHandles } from './handles.js';
import { HostLink } from './host-link.js';
import { MainRuntime } from './main-runtime.js';
import { Recent } from './recent.js';
import { Host, HostPool } from './hosts/host-pool.js';
import type { SpawnRequest, ToHost } from './hosts/protocol.js';
import { Ref } from './ref.js';
import { noProcReply, type ReplyEnvelope } from './runtime.js';
import type {
  ActorDefinition,
  ActorRef,
  CreateSystemOptions,
  ExitReason,
  Placement,
  SpawnOptions,
  Supervisor,
  SupervisorSpec,
  System,
} from './types.js';
import { asDefinition, describe, locate, reviveReason, serializeReason } from './wire.js';

/** One live actor (or Process) as the directory knows it. */
interface Entry {
  id: string;
  site: number;
  name: string | undefined;
  label: string;
  trapExit: boolean;
  parent: string | null;
  links?: Set<string>;
  watchers?: string[];
  waiters?: Array<(reason: ExitReason) => void>;
  snapshot?: unknown;
  /** set for Process entries: how to end it from outside */
  process?: boolean;
}

/** A kernel operation callable from any thread (`kernelCall`). */
export type KernelOp = (args: any[], from: { site: number }) => unknown;

const DEFAULT_SHUTDOWN_MS = 5000;

let systemCount = 0;

export class SystemImpl extends EventEmitter implements System {
  readonly name: string;
  readonly log: Logger;
  readonly runtime: MainRuntime;
  private readonly options: CreateSystemOptions;
  private readonly entries = new Map<string, Entry>();
  private readonly names = new Map<string, string>();
  private readonly snapshots = new Recent<unknown>();
  private readonly recentExits = new Recent<ExitReason>();
  private readonly ops = new Map<string, KernelOp>();
  /** traffic with the host workers: their messages, spawns, tasks, deaths */
  private readonly hosts = new HostLink(this);
  private pool: HostPool | undefined;
  private down: Promise<void> | undefined;
  /** hooks run first at shutdown (facade resources: processes, pools) */
  private readonly shutdownHooks: Array<() => Promise<void> | void> = [];
  /** set by supervisors/ at the composition root */
  static superviseImpl: ((system: SystemImpl, spec: SupervisorSpec) => Promise<Supervisor>) | undefined;

  constructor(options: CreateSystemOptions = {}) {
    super();
    this.options = options;
    this.name = options.name ?? `system-${++systemCount}`;
    this.log = options.logger ?? pino({ level: 'warn', base: { system: this.name } });
    this.runtime = new MainRuntime(this);
    this.defineOp('spawn', ([locator, opts]) => this.spawnLocated(locator, opts).then((ref) => ({ id: ref.id, name: ref.name })));
    this.defineOp('link', ([a, b]) => this.link(a, b));
    this.defineOp('monitor', ([watcher, target]) => this.monitor(watcher, target));
    this.defineOp('stop', ([id, reason]) => this.stopActor(id, reviveReason(reason)));
    this.defineOp('exited', ([id]) => this.exitOf(id).then(serializeReason));
    this.defineOp('persist', ([id, snapshot]) => this.persist(id, snapshot));
  }

  get closed(): boolean {
    return this.down !== undefined;
  }

  // ---- public API -----------------------------------------------------------------------------

  spawn(def: ActorDefinition, options: SpawnOptions = {}): Promise<ActorRef> {
    return this.spawnActor(def, options, null);
  }

  get(name: string): ActorRef | undefined {
    const id = this.names.get(name);
    return id === undefined ? undefined : this.ref(id);
  }

  supervise(spec: SupervisorSpec): Promise<Supervisor> {
    if (!SystemImpl.superviseImpl) return Promise.reject(new RuntimeError('supervisors are not loaded; import from "troupe"'));
    return SystemImpl.superviseImpl(this, spec);
  }

  /** Stops every actor in reverse start order (bounded), then the workers. Leaves no handle open. */
  shutdown(): Promise<void> {
    this.down ??= this.doShutdown();
    return this.down;
  }

  // ---- references and kernel calls --------------------------------------------------------------

  ref(id: string): ActorRef {
    return new Ref(this.runtime, id, this.entries.get(id)?.name);
  }

  defineOp(name: string, op: KernelOp): void {
    this.ops.set(name, op);
  }

  /** Runs a kernel op for the main thread itself. */
  callOp(name: string, args: unknown[]): Promise<unknown> {
    return this.runOp(name, args, 0);
  }

  onShutdown(hook: () => Promise<void> | void): void {
    this.shutdownHooks.push(hook);
  }

  hostPool(): HostPool {
    if (this.down) throw new RuntimeError(`system ${this.name} has shut down; create a new one`);
    this.pool ??= new HostPool({
      hosts: this.options.hosts,
      system: this.name,
      watchdog: this.options.watchdog ?? 5000,
      logLevel: this.log.level,
      events: {
        message: (host, message) => this.hosts.message(host, message),
        ended: (host, end) => this.hosts.ended(host, end),
      },
    });
    return this.pool;
  }

  // ---- spawning -----------------------------------------------------------------------------------

  spawnActor(def: ActorDefinition, options: SpawnOptions, parent: string | null): Promise<ActorRef> {
    let definition: ReturnType<typeof asDefinition>;
    let placement: Placement;
    try {
      definition = asDefinition(def);
      placement = checkSpawnOptions(options);
    } catch (error) {
      return Promise.reject(error);
    }
    if (placement === 'main') {
      return this.place(definition.name, options, parent, definition.trapExit, (entry) =>
        this.runtime.startCell(definition, entry.id, entry.name, parent, options.args ?? [], options.snapshot),
      );
    }
    return locate(definition).then((locator) => this.spawnOnHost(locator, definition.name, definition.trapExit, placement, options, parent));
  }

  /** A spawn requested by a worker (the definition arrives as a locator). */
  private async spawnLocated(locator: any, options: SpawnOptions & { parent?: string | null; trapExit?: boolean; label?: string }): Promise<ActorRef> {
    const placement = checkSpawnOptions(options);
    const parent = options.parent ?? null;
    if (placement === 'main') {
      const { load } = await import('./hosts/load.js');
      const def = await load(locator);
      if (!isDefinition(def)) throw new ValueError(`the export ${locator.exportName} is not an actor definition`);
      return this.spawnActor(def, options, parent);
    }
    return this.spawnOnHost(locator, options.label ?? locator.exportName ?? 'Actor', options.trapExit ?? false, placement, options, parent);
  }

  private async spawnOnHost(locator: unknown, label: string, trapExit: boolean, placement: Placement, options: SpawnOptions, parent: string | null): Promise<ActorRef> {
    const pool = this.hostPool();
    const host = placement === 'exclusive' ? await pool.exclusiveHost() : await pool.sharedHost();
    return this.place(label, options, parent, trapExit, async (entry): Promise<void> => {
      entry.site = host.site;
      host.load++;
      const args = [...(options.args ?? [])];
      const request: SpawnRequest = { t: 'spawn', rid: 0, id: entry.id, name: entry.name, parent, loc: locator as never, args, snapshot: options.snapshot };
      if (checkCloneable(args, 'spawn args')) request.h = 1;
      checkCloneable(options.snapshot, 'snapshot');
      await this.hosts.spawn(host, request).catch((error: unknown) => {
        host.load--;
        if (host.mode === 'exclusive') host.post({ t: 'close' });
        throw error;
      });
    });
  }

  /** Reserves the id and name, runs `start`, and links the child to its parent. */
  private place(
    label: string,
    options: SpawnOptions,
    parent: string | null,
    trapExit: boolean,
    start: (entry: Entry) => Promise<void> | undefined,
  ): Promise<ActorRef> {
    if (this.down) return Promise.reject(new RuntimeError(`system ${this.name} has shut down; create a new one to spawn actors`));
    const name = options.name;
    if (name !== undefined && this.names.has(name)) {
      return Promise.reject(new NameTakenError(`the name "${name}" is already registered to a live actor; pick another or stop it first`));
    }
    const entry: Entry = { id: nanoid(), site: 0, name, label: name ?? label, trapExit, parent };
    this.entries.set(entry.id, entry);
    if (name !== undefined) this.names.set(name, entry.id);
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
    if (entry.parent !== null) this.link(entry.parent, entry.id);
    return new Ref(this.runtime, entry.id, entry.name);
  }

  private unplace(entry: Entry): void {
    this.entries.delete(entry.id);
    if (entry.name !== undefined && this.names.get(entry.name) === entry.id) this.names.delete(entry.name);
  }

  /** Registers a Process (its target runs in an exclusive host, see multiprocessing/). */
  registerProcess(id: string, label: string, site: number, parent: string | null): void {
    this.entries.set(id, { id, site, name: undefined, label, trapExit: false, parent, process: true });
    if (parent !== null) this.link(parent, id);
  }

  /** The Process whose exclusive host is `site` (the parent of processes it starts). */
  processOnSite(site: number): string | undefined {
    for (const entry of this.entries.values()) if (entry.process && entry.site === site) return entry.id;
    return undefined;
  }

  moveProcess(id: string, site: number): void {
    const entry = this.entries.get(id);
    if (entry) entry.site = site;
  }

  /** set by the multiprocessing facade: a Process target as a supervised child */
  static processImpl: ((system: SystemImpl, target: Function, args: unknown[], name: string | undefined, parent: string | null) => Promise<ActorRef>) | undefined;

  /** A Process target started as an actor-like child (supervisors' function children), linked to `parent`. */
  spawnProcessChild(target: Function, args: readonly unknown[] = [], name?: string, parent: string | null = null): Promise<ActorRef> {
    if (!SystemImpl.processImpl) return Promise.reject(new RuntimeError('the multiprocessing facade is not loaded'));
    return SystemImpl.processImpl(this, target, [...args], name, parent);
  }

  // ---- routing ------------------------------------------------------------------------------------

  /** Routes an envelope to its actor's site; `from` is the host it came from, if any. */
  route(envelope: Envelope, transfer?: readonly unknown[], from?: Host): void {
    let id = envelope.to;
    if (id.startsWith('name:')) {
      const resolved = this.names.get(id.slice(5));
      if (resolved === undefined) return this.deadLetter(envelope);
      envelope.to = id = resolved;
    }
    const cell = this.runtime.cells.get(id);
    if (cell) {
      if (envelope.h === 1) envelope.m = reviveHandles(envelope.m, this.runtime);
      return cell.enqueue(envelope);
    }
    const entry = this.entries.get(id);
    const host = entry && entry.site !== 0 ? this.pool?.host(entry.site) : undefined;
    if (!host || !host.alive) return this.deadLetter(envelope);
    host.deliver(envelope, transfer);
    if (from && from !== host && from.alive) this.hosts.shortcut(from, host, id);
  }

  routeReply(reply: ReplyEnvelope): void {
    if (reply.a.s === 0) return this.runtime.receiveReply(reply);
    this.pool?.host(reply.a.s)?.reply(reply);
  }

  deadLetter(envelope: Envelope): void {
    noProcReply(this.runtime, envelope);
    const message = envelope.h === 1 ? reviveHandles(envelope.m, this.runtime) : envelope.m;
    this.log.debug({ to: envelope.to }, 'dead letter');
    if (this.listenerCount('deadLetter') > 0) this.emit('deadLetter', { to: this.ref(envelope.to), message });
  }

  // ---- links, monitors, exits ----------------------------------------------------------------------

  link(a: string, b: string): void {
    const ea = this.entries.get(a);
    const eb = this.entries.get(b);
    if (!ea) return;
    if (!eb) return this.exitSignal(ea, b, { kind: 'error', detail: 'noproc', error: new NoProcError(`link to ${b}: no such actor`) });
    (ea.links ??= new Set()).add(b);
    (eb.links ??= new Set()).add(a);
  }

  unlink(a: string, b: string): void {
    this.entries.get(a)?.links?.delete(b);
    this.entries.get(b)?.links?.delete(a);
  }

  monitor(watcher: string, target: string): void {
    const entry = this.entries.get(target);
    if (!entry) {
      this.sendSystem(watcher, { type: 'DOWN', ref: this.ref(target), reason: { kind: 'noproc' } });
      return;
    }
    (entry.watchers ??= []).push(watcher);
  }

  exitOf(id: string): Promise<ExitReason> {
    const entry = this.entries.get(id.startsWith('name:') ? (this.names.get(id.slice(5)) ?? id) : id);
    if (!entry) return Promise.resolve(this.recentExits.get(id) ?? { kind: 'normal', detail: 'noproc' });
    return new Promise((resolve) => (entry.waiters ??= []).push(resolve));
  }

  isAlive(id: string): boolean {
    return this.entries.has(id);
  }

  siteOf(id: string): number | undefined {
    return this.entries.get(id)?.site;
  }

  labelOf(id: string): string | undefined {
    return this.entries.get(id)?.label;
  }

  persist(id: string, snapshot: unknown): void {
    const entry = this.entries.get(id);
    if (entry) entry.snapshot = snapshot;
  }

  /** The last persisted snapshot of an actor, alive or recently exited. */
  snapshotOf(id: string): unknown {
    return this.entries.get(id)?.snapshot ?? this.snapshots.get(id);
  }

  /** Called once per exit, from whichever site the actor lived on. */
  actorExited(id: string, reason: ExitReason): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    if (entry.name !== undefined && this.names.get(entry.name) === id) this.names.delete(entry.name);
    if (entry.snapshot !== undefined) this.snapshots.set(id, entry.snapshot);
    this.recentExits.set(id, reason);
    if (entry.site !== 0) {
      const host = this.pool?.host(entry.site);
      if (host) {
        host.load--;
        if (host.mode === 'exclusive' && host.load === 0 && !entry.process) host.post({ t: 'close' });
      }
    }
    const ref = new Ref(this.runtime, id, entry.name);
    for (const watcher of entry.watchers ?? []) this.sendSystem(watcher, { type: 'DOWN', ref, reason });
    for (const linked of entry.links ?? []) {
      const other = this.entries.get(linked);
      if (!other) continue;
      other.links?.delete(id);
      this.exitSignal(other, id, reason);
    }
    for (const waiter of entry.waiters ?? []) waiter(reason);
  }

  /** An exit signal from `from` reaches `entry` (Erlang semantics). */
  private exitSignal(entry: Entry, from: string, reason: ExitReason): void {
    if (entry.trapExit) {
      this.sendSystem(entry.id, { type: 'EXIT', from: this.ref(from), reason });
    } else if (reason.kind !== 'normal') {
      this.terminate(entry.id, reason.kind === 'killed' ? { kind: 'killed' } : reason, reason.kind !== 'killed');
    }
  }

  /** A system message (DOWN, EXIT): errors inside travel serialised to other threads. */
  private sendSystem(to: string, message: { type: string; reason: any; [key: string]: unknown }): void {
    const cell = this.runtime.cells.get(to);
    if (cell) return cell.enqueue({ to, m: message });
    const reason = message.reason as ExitReason;
    const wire = reason.error === undefined ? message : { ...message, reason: { ...reason, error: { __troupe: 'error', e: serializeError(reason.error) } } };
    this.route({ to, m: wire, h: 1 });
  }

  /** Graceful stop; resolves once the actor has exited. */
  stopActor(id: string, reason: ExitReason): Promise<void> {
    const entry = this.entries.get(id.startsWith('name:') ? (this.names.get(id.slice(5)) ?? id) : id);
    if (!entry) return Promise.resolve();
    const exited = this.exitOf(entry.id).then(() => {});
    const cell = this.runtime.cells.get(entry.id);
    if (cell) cell.requestStop(reason);
    else if (entry.process) this.emit('terminateProcess', entry.id, reason);
    else this.pool?.host(entry.site)?.post({ t: 'stop', id: entry.id, reason: serializeReason(reason) });
    return exited;
  }

  /** Ends an actor now: runs onStop unless told not to (killed); a Process is terminated. */
  terminate(id: string, reason: ExitReason, runStop = false): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    const cell = this.runtime.cells.get(id);
    if (cell) return void cell.finish(reason, runStop);
    const host = this.pool?.host(entry.site);
    if (!host) return this.actorExited(id, reason);
    if (entry.process) {
      this.emit('terminateProcess', id, reason);
      return;
    }
    host.post({ t: runStop ? 'stop' : 'kill', id, reason: serializeReason(reason) } as ToHost);
  }

  /** The testing kit's way in: crash/hang a cell wherever it lives. */
  inject(id: string, fault: { crash?: Error; hang?: number; killHost?: boolean }): boolean {
    const entry = this.entries.get(id);
    if (!entry) return false;
    const cell = this.runtime.cells.get(id);
    if (fault.killHost) {
      const host = this.pool?.host(entry.site);
      if (!host) return false;
      host.terminate();
      return true;
    }
    if (cell) {
      if (fault.crash) {
        cell.injected = fault.crash;
        cell.enqueue({ to: id, m: { type: '$crash' } });
      }
      if (fault.hang !== undefined) cell.hang(fault.hang);
      return true;
    }
    const host = this.pool?.host(entry.site);
    if (!host) return false;
    if (fault.crash) host.post({ t: 'crash', id, error: serializeError(fault.crash) });
    if (fault.hang !== undefined) host.post({ t: 'hang', id, ms: fault.hang });
    return true;
  }

  /**
   * Runs one task (a located function) on a host and resolves its result; rejects with the
   * task's error, or BrokenWorkerError if the host dies first (Pool).
   */
  runTask(host: Host, locator: unknown, args: unknown[]): Promise<unknown> {
    return this.hosts.runTask(host, locator, args);
  }

  /** Ids of the actors and Processes living on `site`. */
  idsOnSite(site: number): Set<string> {
    const ids = new Set<string>();
    for (const entry of this.entries.values()) if (entry.site === site) ids.add(entry.id);
    return ids;
  }

  isProcess(id: string): boolean {
    return this.entries.get(id)?.process === true;
  }

  /** Runs a kernel op on behalf of a thread (site). */
  async runOp(name: string, args: unknown[], site: number): Promise<unknown> {
    const op = this.ops.get(name);
    if (!op) throw new RuntimeError(`unknown kernel operation ${name}`);
    return op(args, { site });
  }

  get hostList(): Iterable<Host> {
    return this.pool?.hosts ?? [];
  }

  hostAt(site: number): Host | undefined {
    return this.pool?.host(site);
  }

  /** The host an actor lives on (testing kit and facade). */
  hostOf(id: string): Host | undefined {
    const entry = this.entries.get(id);
    return entry && entry.site !== 0 ? this.pool?.host(entry.site) : undefined;
  }

  // ---- shutdown -------------------------------------------------------------------------------------

  private async doShutdown(): Promise<void> {
    for (const hook of this.shutdownHooks.reverse()) {
      try {
        await hook();
      } catch (error) {
        this.log.error({ err: error }, 'shutdown hook failed');
      }
    }
    // Top-level actors in reverse start order; each stops its own children (links).
    const order = [...this.entries.values()].reverse();
    for (const entry of order) {
      if (!this.entries.has(entry.id) || entry.parent !== null) continue;
      await this.stopBounded(entry.id, DEFAULT_SHUTDOWN_MS);
    }
    for (const entry of [...this.entries.values()].reverse()) this.terminate(entry.id, { kind: 'killed', detail: 'system shutdown' });
    this.runtime.rejectAllPending(new NoProcError(`system ${this.name} shut down before the reply`));
    this.hosts.rejectAll(new RuntimeError(`system ${this.name} shut down during a spawn or task`));
    if (this.pool) await this.pool.destroy();
    this.entries.clear();
    this.names.clear();
    this.log.flush?.();
  }

  private async stopBounded(id: string, ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const stopped = this.stopActor(id, { kind: 'shutdown' });
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), ms)));
    const late = await Promise.race([stopped.then(() => false), timedOut]);
    clearTimeout(timer);
    if (late) this.terminate(id, { kind: 'killed', detail: 'shutdown timeout' });
  }
}

function checkSpawnOptions(options: SpawnOptions): Placement {
  if (typeof options !== 'object' || options === null) throw new ValueError(`spawn options must be an object, got ${describe(options)}`);
  const placement = options.placement ?? 'shared';
  if (placement !== 'shared' && placement !== 'exclusive' && placement !== 'main') {
    throw new ValueError(`placement must be 'shared', 'exclusive' or 'main' (got ${JSON.stringify(placement)})`);
  }
  if (options.args !== undefined && !Array.isArray(options.args)) throw new ValueError(`spawn { args } must be an array of init arguments (got ${describe(options.args)})`);
  if (options.name !== undefined && (typeof options.name !== 'string' || options.name === '')) {
    throw new ValueError(`spawn { name } must be a non-empty string (got ${describe(options.name)})`);
  }
  return placement;
}

// Errors inside system messages cross threads serialised; revive them as the same class.
registerHandle('error', (data: { e: unknown }) => reviveError(data.e) as object);

/** Creates an independent actor system (its own pool of workers). */
export async function createSystem(options: CreateSystemOptions = {}): Promise<System> {
  if (typeof options !== 'object' || options === null) throw new ValueError('createSystem(options?) takes an object { hosts?, logger?, name?, watchdog? }');
  if (options.hosts !== undefined && (!Number.isInteger(options.hosts) || options.hosts < 1)) {
    throw new ValueError(`createSystem({ hosts }) must be a positive integer (got ${String(options.hosts)})`);
  }
  return new SystemImpl(options);
}

export function systemOf(system: System): SystemImpl {
  if (!(system instanceof SystemImpl)) throw new ValueError('expected a System created by createSystem()');
  return system;
}
