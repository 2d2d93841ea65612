/**
 * The one way code outside the kernel plugs into it (the facade, the built-in actors, the
 * supervisors). A system-side extension is created once per system on first use and may serve
 * kernel ops called from workers, hear its hosts' messages and ends, start supervised children of
 * its own kind, and clean up first at shutdown. A host-side extension runs inside every worker:
 * it may run an exclusive host's one task, hear main's messages and take envelopes for its task.
 * Extensions are registered by the composition roots (`src/index.ts`, the facade's index, the
 * worker's `worker-main.ts` importing the modules a host task names); the kernel never imports them.
 */
import type { Envelope } from './envelope.js';
import type { ActorRef, ExitReason } from './types.js';
import type { Host, HostEnd } from './hosts/host.js';
import type { SystemImpl } from './system/system.js';

/** The thread a kernel call came from (0: the main thread, else a host's site). */
export interface CallSite {
  readonly site: number;
}

/** A kernel operation an extension serves in main for calls from any thread. */
// args are typed by each op (a tuple); the kernel passes them through as received
export type KernelOp = (args: any, from: CallSite) => unknown;

/** What a system-side extension may implement (every part is optional). */
export interface SystemExtension {
  /** ops callable from workers with `kernelCall(def, op, args)` */
  readonly ops?: Readonly<Record<string, KernelOp>>;
  /** a message a host posted for this extension */
  hostMessage?(host: Host, message: unknown): void;
  /** an exclusive host finished the task this extension gave it (`HostExtension.run`'s result) */
  taskEnded?(host: Host, result: unknown): void;
  /** a host worker ended (closed or died); runs before its actors are reported killed */
  hostEnded?(host: Host, end: HostEnd): void;
  /** the system is shutting down: runs first, before actors are stopped (reverse creation order) */
  shutdown?(): Promise<void> | void;
}

/** How a supervisor starts a child whose `start` is not an actor definition or a supervisor spec. */
export interface ChildKind {
  accepts(start: unknown): boolean;
  start(system: SystemImpl, start: unknown, args: readonly unknown[], options: { name?: string; parent: string }): Promise<ActorRef>;
}

export interface ExtensionDef<T extends SystemExtension = SystemExtension> {
  /** unique; also the key of its kernel ops and host messages */
  readonly name: string;
  /**
   * The module that registers the host side, as a path from the package root (`src/...js`);
   * every worker imports it before it takes work, from its own copy of troupe.
   */
  readonly hostModule?: string;
  /** the module defining this extension (imported by main when a worker calls an op it lacks) */
  readonly module?: string;
  /** a kind of supervised child this extension starts */
  readonly childKind?: ChildKind;
  create(system: SystemImpl): T;
}

// Registries live behind globalThis slots: every copy of troupe in a thread (built dist and
// src under tsx/vitest) must see the same ones.
const SYSTEM_SLOT = Symbol.for('troupe.extensions');
const HOST_SLOT = Symbol.for('troupe.hostExtensions');
type Slots = Record<symbol, Map<string, unknown> | undefined>;

function slot<V>(key: symbol): Map<string, V> {
  const slots = globalThis as unknown as Slots;
  return (slots[key] ??= new Map()) as Map<string, V>;
}

/** Registers a system-side extension (idempotent by name) and returns its definition. */
export function defineExtension<T extends SystemExtension>(def: ExtensionDef<T>): ExtensionDef<T> {
  const registry = slot<ExtensionDef>(SYSTEM_SLOT);
  if (!registry.has(def.name)) registry.set(def.name, def);
  return def;
}

export function extensionNamed(name: string): ExtensionDef | undefined {
  return slot<ExtensionDef>(SYSTEM_SLOT).get(name);
}

export function registeredExtensions(): ExtensionDef[] {
  return [...slot<ExtensionDef>(SYSTEM_SLOT).values()];
}

// ---- host side ---------------------------------------------------------------------------------

/** The host worker as a host-side extension sees it. */
export interface HostView {
  readonly site: number;
  readonly mode: 'shared' | 'exclusive';
  /** posts a message to this extension's system side (`hostMessage`), in order with everything else */
  post(message: unknown): void;
  /** ends this host now, e.g. after process.exit in its task */
  close(): void;
}

export interface HostExtension {
  /** runs an exclusive host's task (`run` requests naming this extension); resolves its result */
  run?(payload: unknown, host: HostView): Promise<unknown>;
  /** a message main sent to this extension */
  message?(message: unknown, host: HostView): void;
}

/** Registers the host side of an extension in this worker (first registration wins). */
export function defineHostExtension(name: string, extension: HostExtension): void {
  const registry = slot<HostExtension>(HOST_SLOT);
  if (!registry.has(name)) registry.set(name, extension);
}

export function hostExtension(name: string): HostExtension | undefined {
  return slot<HostExtension>(HOST_SLOT).get(name);
}

export function hostExtensions(): HostExtension[] {
  return [...slot<HostExtension>(HOST_SLOT).values()];
}

export type { ExitReason };
