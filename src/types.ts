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
  /** the actor's system (in a worker: the worker's view of it) */
  readonly system: System;
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

export type Handler<S, M = any> = (state: S, msg: M, ctx: ActorContext) => S | Promise<S>;

/** A message of a typed protocol: an object with a string `type`. */
export interface Message {
  readonly type: string;
}

/** One handler per message type of the union `M`, each given the message of its key. */
export type Handlers<S, M extends Message> = { [K in M['type']]: Handler<S, Extract<M, { type: K }>> };

export interface ActorSpec<S, A extends unknown[], M extends Message = any> {
  /** default name prefix in logs and registry listings */
  name?: string;
  /** args come from spawn(..., { args }); may be async */
  init?: (ctx: ActorContext, ...args: A) => S | Promise<S>;
  /** one handler per message `type` (typed per key when the protocol `M` is given) */
  receive: [M] extends [Message] ? (Message extends M ? Record<string, Handler<S>> : Handlers<S, M>) : Record<string, Handler<S>>;
  /** optional cleanup, runs on every exit but `killed` */
  onStop?: (state: S, reason: ExitReason, ctx: ActorContext) => void | Promise<void>;
  /** the defining module's URL (recorded from the call site unless given) */
  module?: string;
  /** exits of linked actors arrive as EXIT messages */
  trapExit?: boolean;
}

/** Opaque: a definition exported from a module, found by workers by identity. */
export interface ActorDefinition<S = any, M = any> {
  readonly name?: string;
  readonly __state?: S;
  readonly __message?: M;
}

export type Placement = 'exclusive' | 'shared' | 'main';

export interface SpawnOptions {
  args?: readonly unknown[];
  name?: string;
  placement?: Placement;
  /** restore without replaying entry effects (DESIGN §6) */
  snapshot?: unknown;
  /** §10: a node name, or 'any' (the live node with the fewest actors) */
  node?: string;
  /** §10: register `name` cluster-wide */
  global?: boolean;
}

export interface CreateSystemOptions {
  /** shared host workers (default: os.availableParallelism()) */
  hosts?: number;
  logger?: Logger;
  name?: string;
  /** ms a shared host may stay blocked (an endless handler) before it is recycled (default 5000) */
  watchdog?: number;
  /**
   * µs a host worker stays awake, polling, for main's next message while an exchange with main is
   * quick (default 50; 0 never): lower round-trip latency for CPU spent waiting
   */
  spin?: number;
  /** §10: join a cluster through NATS */
  cluster?: ClusterOptions;
}

/** §10: how a system joins a cluster. */
export interface ClusterOptions {
  /** NATS server URL(s) */
  servers: string | string[];
  /** the cluster's name: systems with the same name form one actor space */
  name: string;
  /** this node's name (default `${hostname}-${pid}`) */
  node?: string;
  /** ms without heartbeats before a node is down (default 3000) */
  downAfter?: number;
  /** passed to the NATS client's connect (user, pass, token, tls, ...) */
  connect?: Record<string, unknown>;
}

/** §10: a live node of the cluster. */
export interface NodeInfo {
  node: string;
  since: number;
  actors: number;
  hosts: number;
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

/** emits 'deadLetter' with { to, message }; with a cluster also 'nodeup' / 'nodedown' */
export interface System extends SystemCore, EventEmitter {
  /** the system's name (logs); not in the contract's type, so optional here */
  readonly name?: string;
  supervise(spec: SupervisorSpec): Promise<Supervisor>;
  /** §10: this node's name (undefined without a cluster) */
  readonly node: string | undefined;
  /** §10: live nodes, this one included */
  nodes(): Promise<NodeInfo[]>;
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
  /** §10: a node name, or 'any' */
  node?: string;
}

export interface SupervisorSpec {
  /** also the supervisor's registered name (system.get), re-bound on restart */
  name?: string;
  /** OTP defaults: strategy one_for_one, intensity 1, period 5000 ms, autoShutdown never */
  strategy?: Strategy;
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
  /** the supervisor's own actor (not in the contract's type, so optional here) */
  readonly ref?: ActorRef;
}
