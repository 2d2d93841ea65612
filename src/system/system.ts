/**
 * The System, in the main thread: the public API (spawn, get, supervise, shutdown) over the
 * directory (directory.ts), placement (placement.ts), routing between sites, exit propagation
 * with Erlang semantics (links, monitors, waiters, owned children), dead letters, kernel calls
 * from workers (kernel-ops.ts) and the extensions plugged into it. Durable state lives here, so a
 * worker's death loses nothing that reached main. What this system cannot route itself (an id of
 * another system of this process) it hands over to that system (registry.ts).
 */
import { EventEmitter } from 'node:events';
import pino, { type Logger } from 'pino';
import type { Envelope, ReplyEnvelope } from '../envelope.js';
import { NoProcError, RuntimeError, serializeError, ValueError } from '../errors.js';
import { extensionNamed, registeredExtensions, type ExtensionDef, type KernelOp, type SystemExtension } from '../extension.js';
import { reviveHandles } from '../handles.js';
import { DEFAULT_SPIN_US, MAX_SPIN_US } from '../hosts/busy-wait.js';
import { HostPool, type Host, type HostEnd } from '../hosts/host-pool.js';
import { Ref } from '../ref.js';
import { noProcReply } from '../runtime.js';
import type { ActorDefinition, ActorRef, CreateSystemOptions, ExitReason, SpawnOptions, Supervisor, SupervisorSpec, System } from '../types.js';
import { serializeReason } from '../wire.js';
import { Directory, NAME_PREFIX, type Entry, type ExternalControl } from './directory.js';
import { Exits } from './exits.js';
import { HostLink } from './host-link.js';
import { coreOps } from './kernel-ops.js';
import { MainRuntime } from './main-runtime.js';
import { Placement } from './placement.js';
import { clusterLoader, type ClusterHook } from './cluster-hook.js';
import { allocateSite, joinRegistry, leaveRegistry, ownerOf, siteOwner, type Peer } from './registry.js';
import { shutdownSystem } from './shutdown.js';
import { SUPERVISION, type Supervision } from './supervision.js';
import { describe } from '../describe.js';

let systemCount = 0;

export class SystemImpl extends EventEmitter implements System, Peer {
  readonly name: string;
  readonly log: Logger;
  readonly runtime: MainRuntime;
  readonly directory = new Directory();
  readonly options: CreateSystemOptions;
  /** traffic with the host workers: their messages, spawns, tasks, deaths */
  readonly hosts: HostLink;
  readonly placement: Placement;
  readonly exits: Exits;
  private pool: HostPool | undefined;
  private down: Promise<void> | undefined;
  /** extensions created for this system, in creation order */
  private readonly extensions = new Map<string, SystemExtension>();
  private ops: Readonly<Record<string, KernelOp>> | undefined;
  /** §10: set once the system has joined its cluster */
  cluster: ClusterHook | undefined;

  constructor(options: CreateSystemOptions = {}) {
    super();
    this.options = options;
    this.name = options.name ?? `system-${++systemCount}`;
    this.log = options.logger ?? pino({ level: 'warn', base: { system: this.name } });
    this.runtime = new MainRuntime(this, allocateSite());
    this.hosts = new HostLink(this);
    this.placement = new Placement(this);
    this.exits = new Exits(this);
    joinRegistry(this);
  }

  get closed(): boolean {
    return this.down !== undefined;
  }

  /** §10: this node's name (undefined without a cluster). */
  get node(): string | undefined {
    return this.cluster?.node;
  }

  // ---- public API -----------------------------------------------------------------------------

  spawn(def: ActorDefinition, options: SpawnOptions = {}): Promise<ActorRef> {
    return this.placement.spawn(def, options, null);
  }

  get(name: string): ActorRef | undefined {
    const id = this.directory.idOf(name);
    if (id === undefined) return this.cluster?.lookup(name);
    return new Ref(this.runtime, id, name);
  }

  supervise(spec: SupervisorSpec): Promise<Supervisor> {
    const supervision = extensionNamed(SUPERVISION.name) as ExtensionDef<Supervision> | undefined;
    if (!supervision) return Promise.reject(new RuntimeError('supervisors are not loaded: import createSystem from "troupe"'));
    return this.extension(supervision).supervise(spec);
  }

  /** §10: the live nodes of the cluster (this one alone without a cluster). */
  async nodes(): Promise<Array<{ node: string; since: number; actors: number; hosts: number }>> {
    if (this.cluster) return this.cluster.nodes();
    return [{ node: this.name, since: this.started, actors: this.directory.entries.size, hosts: [...this.hostList].length }];
  }

  private readonly started = Date.now();

  /** Stops every actor in reverse start order (bounded), then the workers. Leaves no handle open. */
  shutdown(): Promise<void> {
    this.down ??= shutdownSystem(this, [...this.extensions.values()].reverse(), () => this.cluster?.leave()).finally(() => leaveRegistry(this));
    return this.down;
  }

  // ---- extensions and kernel calls --------------------------------------------------------------

  /** This system's instance of an extension (created on first use). */
  extension<T extends SystemExtension>(def: ExtensionDef<T>): T {
    let instance = this.extensions.get(def.name) as T | undefined;
    if (instance === undefined) {
      instance = def.create(this);
      this.extensions.set(def.name, instance);
    }
    return instance;
  }

  /** The instance of a registered extension by name, if the extension is known in main. */
  extensionByName(name: string): SystemExtension | undefined {
    const def = extensionNamed(name);
    return def ? this.extension(def) : undefined;
  }

  /** Runs a kernel op on behalf of a thread (site); `ext` names the extension that serves it. */
  async runOp(ext: string | undefined, op: string, args: unknown[], site: number): Promise<unknown> {
    const served: Readonly<Record<string, KernelOp>> | undefined = ext === undefined ? (this.ops ??= coreOps(this)) : this.extensionByName(ext)?.ops;
    const fn = served?.[op];
    if (!fn) throw new RuntimeError(`unknown kernel operation ${ext === undefined ? op : `${ext}:${op}`}; is the module that defines it loaded in the main thread?`);
    return fn(args, { site });
  }

  hostPool(): HostPool {
    if (this.down) throw new RuntimeError(`system ${this.name} has shut down; create a new one`);
    if (this.pool) return this.pool;
    // every registered extension exists before the first host boots (its names are in the host's table)
    for (const def of registeredExtensions()) this.extension(def);
    this.pool = new HostPool({
      hosts: this.options.hosts,
      system: this.name,
      watchdog: this.options.watchdog ?? 5000,
      spin: this.options.spin ?? spinFromEnvironment(),
      logLevel: this.log.level,
      events: {
        message: (host, message) => this.hosts.message(host, message),
        drained: () => this.hosts.drained(),
        failed: (host, error) => this.log.error({ err: error, host: host.site }, 'a message from a host worker could not be handled'),
        ended: (host, end) => this.hosts.ended(host, end),
      },
      allocateSite,
      boot: () => ({ extensions: this.hostModules(), names: [...(this.cluster?.globalNames() ?? []), ...this.directory.names] }),
    });
    return this.pool;
  }

  /** A host ended: every extension hears it (before the host's actors are reported killed). */
  hostEnded(host: Host, end: HostEnd): void {
    for (const extension of this.extensions.values()) {
      try {
        extension.hostEnded?.(host, end);
      } catch (error) {
        this.log.error({ err: error, host: host.site }, 'an extension failed to handle a host end');
      }
    }
    const waiters = this.hostWaiters.get(host);
    this.hostWaiters.delete(host);
    for (const resolve of waiters ?? []) resolve();
  }

  private readonly hostWaiters = new Map<Host, Array<() => void>>();

  /** Resolves once `host` has ended and its actors' exits were reported. */
  hostEnd(host: Host): Promise<void> {
    if (!host.alive) return Promise.resolve();
    return new Promise((resolve) => {
      const waiters = this.hostWaiters.get(host) ?? [];
      // the exits of the host's actors are reported right after its extensions heard, same turn
      waiters.push(() => queueMicrotask(resolve));
      this.hostWaiters.set(host, waiters);
    });
  }

  /** The host-side modules of every extension registered in main (each worker imports them). */
  private hostModules(): string[] {
    return [...new Set(registeredHostModules())];
  }

  flushHosts(): void {
    for (const host of this.hostList) host.flush();
  }

  get hostList(): Iterable<Host> {
    return this.pool?.hosts ?? [];
  }

  hostAt(site: number): Host | undefined {
    return this.pool?.host(site);
  }

  /** The host an actor lives on (testing kit and facade). */
  hostOf(id: string): Host | undefined {
    const entry = this.directory.get(id);
    return entry && entry.site !== this.runtime.site ? this.pool?.host(entry.site) : undefined;
  }

  // ---- references and names -------------------------------------------------------------------

  ref(id: string): ActorRef {
    return new Ref(this.runtime, id, this.directory.get(id)?.name);
  }

  /** Registers an entry (a new actor, or one an extension runs) and tells the hosts its name. */
  addEntry(entry: Entry): void {
    this.directory.add(entry);
    if (entry.name !== undefined) this.nameChanged(entry.name, entry.id);
  }

  /** Binds `name` to a live actor (a supervisor re-binding a restarted child's name). */
  nameChanged(name: string, id: string | undefined): void {
    // §10: a global name shows through where no local one hides it (hosts answer get() too)
    const shown = id ?? this.cluster?.lookup(name)?.id;
    for (const host of this.hostList) host.nameChanged([name, shown]);
  }

  /** Registers an entry an extension runs (a Process): the kernel routes to its site and asks `control` to end it. */
  registerExternal(id: string, label: string, parent: string | null, control: ExternalControl): void {
    this.addEntry({ id, site: -1, name: undefined, label, trapExit: false, parent, control });
  }

  /** `id` logs its linked actors' abnormal exits itself (a supervisor): one record per crash. */
  reportsExits(id: string): void {
    const entry = this.directory.get(id);
    if (entry) entry.reportsExits = true;
  }

  /** Where an external entry runs now (its host, once it has one). */
  placeExternal(id: string, site: number): void {
    const entry = this.directory.get(id);
    if (entry) entry.site = site;
  }

  // ---- Peer: what other systems of this process ask of this one ---------------------------------------------

  owns(id: string): boolean {
    return id.startsWith(NAME_PREFIX) ? this.directory.idOf(id.slice(NAME_PREFIX.length)) !== undefined : this.directory.has(id);
  }

  ownsSite(site: number): boolean {
    return site === this.runtime.site || this.pool?.host(site) !== undefined;
  }

  // ---- routing ------------------------------------------------------------------------------------

  /** Routes an envelope to its actor's site; `from` is the host it came from, if any. */
  route(envelope: Envelope, transfer?: readonly unknown[]): void {
    let id = envelope.to;
    if (id.startsWith(NAME_PREFIX)) {
      const resolved = this.directory.idOf(id.slice(NAME_PREFIX.length));
      if (resolved === undefined) return this.routeElsewhere(envelope, transfer);
      envelope.to = id = resolved;
    }
    const cell = this.runtime.cells.get(id);
    if (cell) {
      if (envelope.handles === 1) envelope.msg = reviveHandles(envelope.msg, this.runtime, id);
      return cell.enqueue(envelope);
    }
    const entry = this.directory.entries.get(id);
    if (!entry) return this.routeElsewhere(envelope, transfer);
    if (entry.control?.deliver) {
      if (envelope.handles === 1) envelope.msg = reviveHandles(envelope.msg, this.runtime, id);
      return entry.control.deliver(envelope);
    }
    const host = entry.site !== this.runtime.site ? this.pool?.host(entry.site) : undefined;
    if (!host || !host.alive) return this.deadLetter(envelope);
    host.deliver(envelope, transfer);
  }

  /** An id this system does not hold may be another system's (handles travel between systems). */
  private routeElsewhere(envelope: Envelope, transfer?: readonly unknown[]): void {
    const owner = ownerOf(envelope.to, this);
    if (owner) return owner.route(envelope, transfer);
    this.deadLetter(envelope);
  }

  /** A reply read from a worker's ring: settled here without an envelope when it is main's. */
  replyArrived(site: number, rid: number, ok: boolean, value: unknown): void {
    if (site === this.runtime.site) return this.runtime.settleReply(rid, ok, value);
    this.routeReply({ ask: { site, rid }, ok, value });
  }

  routeReply(reply: ReplyEnvelope): void {
    const site = reply.ask.site;
    if (site === this.runtime.site) return this.runtime.receiveReply(reply);
    const host = this.pool?.host(site);
    if (host) return host.reply(reply);
    siteOwner(site, this)?.routeReply(reply);
  }

  deadLetter(envelope: Envelope): void {
    noProcReply(this.runtime, envelope);
    const message = envelope.handles === 1 ? reviveHandles(envelope.msg, this.runtime) : envelope.msg;
    this.log.debug({ to: envelope.to }, 'dead letter');
    if (this.listenerCount('deadLetter') > 0) this.emit('deadLetter', { to: this.ref(envelope.to), message });
  }

  // ---- links, monitors, exits (exits.ts) -----------------------------------------------------------

  link(a: string, b: string): void {
    this.exits.link(a, b);
  }

  unlink(a: string, b: string): void {
    this.exits.unlink(a, b);
  }

  monitor(watcher: string, target: string): void {
    this.exits.monitor(watcher, target);
  }

  exitOf(id: string): Promise<ExitReason> {
    return this.exits.exitOf(id);
  }

  /** Called once per exit, from whichever site the actor lived on. */
  actorExited(id: string, reason: ExitReason): void {
    this.exits.exited(id, reason);
  }

  linkedExited(id: string, from: string, reason: ExitReason): void {
    this.exits.linkedExited(id, from, reason);
  }

  /** Graceful stop; resolves once the actor has exited. */
  stopActor(id: string, reason: ExitReason): Promise<void> {
    return this.exits.stop(id, reason);
  }

  /** Ends an actor now: runs onStop unless told not to (killed); an external entry is ended by its owner. */
  terminate(id: string, reason: ExitReason, runStop = false): void {
    this.exits.terminate(id, reason, runStop);
  }

  /** Is `id` a live actor of this system (in a cluster: or of another node, as far as this one knows)? */
  isAlive(id: string): boolean {
    return this.directory.has(id) || (this.cluster !== undefined && ownerOf(id, this) !== undefined);
  }

  /** An actor's label (its name, or its definition's), wherever in this process it lives. */
  labelOf(id: string): string | undefined {
    return this.directory.entries.get(id)?.label ?? ownerOf(id, this)?.labelOf(id);
  }

  persist(id: string, snapshot: unknown): void {
    const entry = this.directory.entries.get(id);
    if (entry) entry.snapshot = snapshot;
  }

  /** The last persisted snapshot of an actor, alive or recently exited. */
  snapshotOf(id: string): unknown {
    return this.directory.snapshotOf(id);
  }

  /**
   * Runs one task (a located function) on a host and resolves its result; rejects with the
   * task's error, or BrokenWorkerError if the host dies first (Pool).
   */
  runTask(host: Host, locator: unknown, args: unknown[]): Promise<unknown> {
    return this.hosts.runTask(host, locator, args);
  }

  /** @internal the host pool, if started (shutdown) */
  get startedPool(): HostPool | undefined {
    return this.pool;
  }
}

/** Host modules of every registered extension (main imports them into each worker). */
function registeredHostModules(): string[] {
  const out: string[] = [];
  for (const def of registeredExtensions()) if (def.hostModule) out.push(def.hostModule);
  return out;
}

const SPIN_RANGE = `a number of µs from 0 (never) to ${MAX_SPIN_US}`;

function validSpin(spin: unknown): spin is number {
  return typeof spin === 'number' && spin >= 0 && spin <= MAX_SPIN_US;
}

/** The busy-wait window of a system created without `spin` (the default system too): TROUPE_SPIN_US, else the default. */
function spinFromEnvironment(): number {
  const text = process.env.TROUPE_SPIN_US;
  if (text === undefined || text.trim() === '') return DEFAULT_SPIN_US;
  const spin = Number(text);
  if (!validSpin(spin)) throw new ValueError(`TROUPE_SPIN_US must be ${SPIN_RANGE} (got ${JSON.stringify(text)})`);
  return spin;
}

/** Creates an independent actor system (its own pool of workers). */
export async function createSystem(options: CreateSystemOptions = {}): Promise<System> {
  if (typeof options !== 'object' || options === null) throw new ValueError('createSystem(options?) takes an object { hosts?, logger?, name?, watchdog?, spin?, cluster? }');
  if (options.hosts !== undefined && (!Number.isInteger(options.hosts) || options.hosts < 1)) {
    throw new ValueError(`createSystem({ hosts }) must be a positive integer (got ${describe(options.hosts)})`);
  }
  if (options.spin !== undefined && !validSpin(options.spin)) {
    throw new ValueError(`createSystem({ spin }) must be ${SPIN_RANGE} (got ${describe(options.spin)})`);
  }
  if (options.spin === undefined) spinFromEnvironment(); // a bad TROUPE_SPIN_US fails here, not at the first spawn
  if (options.name !== undefined && (typeof options.name !== 'string' || options.name === '')) {
    throw new ValueError(`createSystem({ name }) must be a non-empty string (got ${describe(options.name)})`);
  }
  const system = new SystemImpl(options);
  if (options.cluster !== undefined) {
    // loaded only here: a system without a cluster never imports NATS
    const load = clusterLoader();
    if (!load) throw new RuntimeError('clusters are not loaded: import createSystem from "troupe"');
    const join = await load();
    try {
      system.cluster = await join(system, options.cluster);
    } catch (error) {
      await system.shutdown();
      throw error;
    }
  }
  return system;
}

export function systemOf(system: unknown): SystemImpl {
  if (!(system instanceof SystemImpl)) throw new ValueError('expected a System created by createSystem()');
  return system;
}
