/**
 * The public types of the actor door (DESIGN §3, §5): refs, exit reasons, definitions, contexts,
 * spawn options and supervisor specs. Kept apart from the classes so every module can share them
 * without import cycles.
 */
import type { EventEmitter } from 'node:events';
import type { Logger } from 'pino';

export type ExitKind = 'normal' | 'shutdown' | 'killed' | 'error';

export interface ExitReason {
  kind: ExitKind;
  error?: unknown;
  detail?: unknown;
}

/** `{ type: 'DOWN', ref, reason }`; monitoring a dead actor gives `kind: 'noproc'`. */
export interface DownMessage {
  type: 'DOWN';
  ref: ActorRef;
  reason: ExitReason | { kind: 'noproc' };
}

/** `{ type: 'EXIT', from, reason }`, delivered to actors that trap exits. */
export interface ExitMessage {
  type: 'EXIT';
  from: ActorRef;
  reason: ExitReason;
}

/** A location-transparent, serialisable address of an actor. */
export interface ActorRef<M = any> {
  readonly id: string;
  /** the registered name, or undefined */
  readonly name: string | undefined;
  /** fire and forget; never throws for dead refs; `{ transfer }` for Transferables */
  send(msg: M, options?: { transfer?: readonly unknown[] }): void;
  /** timeout in ms (default 5000); rejects AskTimeoutError, or NoProcError if the actor is gone */
  ask<R = unknown>(msg: M, options?: { timeout?: number }): Promise<R>;
  /** graceful; resolves when the actor has exited */
  stop(): Promise<void>;
  readonly exited: Promise<ExitReason>;
}

export interface ActorContext {
  readonly self: ActorRef;
  /** null for actors spawned by the system */
  readonly parent: ActorRef | null;
  /** the actor's system (typed by its core calls; at run time it is the full System) */
  readonly system: SystemCore;
  readonly log: Logger;
  reply(value: unknown): void;
  send(ref: ActorRef, msg: unknown): void;
  /** a child, linked to this actor */
  spawn(def: ActorDefinition, opts?: SpawnOptions): Promise<ActorRef>;
  link(ref: ActorRef): void;
  monitor(ref: ActorRef): void;
  /** after the current handler; default { kind: 'normal' } */
  stop(reason?: Partial<ExitReason>): void;
  /** save the current state as the snapshot for restart */
  persist(): void;
  readonly signal: AbortSignal;
  /**
   * Who sent the message being handled (null when sent from outside any actor or process).
   * Always present at run time; optional in the type so contexts typed as in DESIGN.md fit.
   */
  readonly sender?: ActorRef | null;
  /**
   * Takes over the answer to the current ask, to give it later (gen_server's noreply + reply/2):
   * call the returned function with (true, value) or (false, error). undefined if not an ask.
   * Always present at run time (optional in the type, like `sender`).
   */
  deferReply?(): ((ok: boolean, value: unknown) => void) | undefined;
}

export type Handler<S> = (state: S, msg: any, ctx: ActorContext) => S | Promise<S>;

export interface ActorSpec<S, A extends unknown[]> {
  /** default name prefix in logs and registry listings */
  name?: string;
  /** args come from spawn(..., { args }); may be async */
  init?: (ctx: ActorContext, ...args: A) => S | Promise<S>;
  /** one handler per message `type` */
  receive: Record<string, Handler<S>>;
  /** optional cleanup, runs on every exit but `killed` */
  onStop?: (state: S, reason: ExitReason, ctx: ActorContext) => void | Promise<void>;
  /** the defining module's URL (recorded from the call site unless given) */
  module?: string;
  /** exits of linked actors arrive as EXIT messages */
  trapExit?: boolean;
}

/** Opaque: a definition exported from a module, found by workers by identity. */
export interface ActorDefinition<S = any> {
  readonly name?: string;
  readonly __state?: S;
}

export type Placement = 'exclusive' | 'shared' | 'main';

export interface SpawnOptions {
  args?: readonly unknown[];
  name?: string;
  placement?: Placement;
  /** restore without replaying entry effects (DESIGN §6) */
  snapshot?: unknown;
}

export interface CreateSystemOptions {
  /** shared host workers (default: os.availableParallelism()) */
  hosts?: number;
  logger?: Logger;
  name?: string;
  /** ms a shared host may stay blocked (an endless handler) before it is recycled (default 5000) */
  watchdog?: number;
}

/** The calls every System answers, in any thread (what `ctx.system` is typed as). */
export interface SystemCore {
  spawn(def: ActorDefinition, options?: SpawnOptions): Promise<ActorRef>;
  /** registered names */
  get(name: string): ActorRef | undefined;
  supervise(spec: SupervisorSpec): Promise<SupervisorCore>;
  /** ordered, bounded; no handle left open */
  shutdown(): Promise<void>;
}

/** emits 'deadLetter' with { to, message } */
export interface System extends SystemCore, EventEmitter {
  readonly name: string;
  supervise(spec: SupervisorSpec): Promise<Supervisor>;
}

// ---- supervisors (DESIGN §5) ----------------------------------------------------------------

export type Strategy = 'one_for_one' | 'one_for_all' | 'rest_for_one' | 'simple_one_for_one';
export type RestartType = 'permanent' | 'transient' | 'temporary';
export type ShutdownSpec = number | 'brutal_kill' | 'infinity';

export interface ChildSpec {
  id: string;
  /** actor definition, task, or nested supervisor spec */
  start: ActorDefinition | ((...args: any[]) => unknown) | SupervisorSpec;
  args?: readonly unknown[];
  restart?: RestartType;
  /** ms | 'brutal_kill' | 'infinity' (default infinity for supervisors, 5000 for workers) */
  shutdown?: ShutdownSpec;
  type?: 'worker' | 'supervisor';
  significant?: boolean;
  restartFrom?: 'init' | 'snapshot';
  /** a registered name, re-bound to the new actor at each restart */
  name?: string;
  placement?: Placement;
  backoff?: { min: number; max: number; jitter: number };
}

export interface SupervisorSpec {
  name?: string;
  strategy: Strategy;
  /** OTP defaults: intensity 1, period 5000 ms */
  intensity?: number;
  period?: number;
  autoShutdown?: 'never' | 'any_significant' | 'all_significant';
  children: ChildSpec[];
}

export interface ChildCounts {
  specs: number;
  active: number;
  supervisors: number;
  workers: number;
}

export interface ChildRow {
  /** undefined for simple_one_for_one instances */
  id: string | undefined;
  pid: ActorRef | null | 'restarting';
  type: 'worker' | 'supervisor';
}

export interface SupervisorEvent {
  type: 'started' | 'exited' | 'restarted' | 'restart_failed' | 'shutdown';
  supervisor: string;
  id: string | undefined;
  ref?: ActorRef;
  reason?: ExitReason;
  restarts?: number;
}

/** A supervisor's admin API (what every Supervisor answers; see Supervisor for its events). */
export interface SupervisorCore {
  /** simple_one_for_one: startChild(extraArgs) appends extraArgs to the template's args */
  startChild(specOrExtraArgs: ChildSpec | readonly unknown[]): Promise<{ pid: ActorRef | null }>;
  /** simple_one_for_one: terminateChild(ref) */
  terminateChild(idOrRef: string | ActorRef): Promise<void>;
  restartChild(id: string): Promise<{ pid: ActorRef | null }>;
  deleteChild(id: string): Promise<void>;
  /** in start order */
  whichChildren(): Promise<ChildRow[]>;
  countChildren(): Promise<ChildCounts>;
  readonly exited: Promise<ExitReason>;
  stop(): Promise<void>;
}

/** emits 'event' with a SupervisorEvent */
export interface Supervisor extends SupervisorCore, EventEmitter {
  /** the supervisor's own actor */
  readonly ref: ActorRef;
}
