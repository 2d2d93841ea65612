/**
 * The supervisor actor (OTP supervisor.erl semantics), run in the main thread with trapExit:
 * children start in list order and stop in reverse; a child's exit is restarted according to its
 * restart type (permanent always, transient only after an abnormal exit — `normal` and `shutdown`
 * are normal —, temporary never, and forgotten) and the strategy's group (strategies.ts). A
 * restart that fails is retried from the failed child on (OTP try_again_restart), each attempt
 * counted: more than `intensity` restarts within `period` ms ends the supervisor with
 * { kind: 'shutdown', detail: 'reached_max_restart_intensity' }, which its own supervisor sees as a
 * failure of a child: faults escalate up the tree. Admin calls are in admin.ts.
 */
import type { Logger } from 'pino';
import { defineActor, untracked } from '../src/define.js';
import type { SystemImpl } from '../src/system/system.js';
import type { ActorContext, ActorRef, ExitMessage, ExitReason, SupervisorEvent } from '../src/types.js';
import { deleteChild, restartChild, startChild, terminateChild, type Administered } from './admin.js';
import { backoffDelay, backoffExpired } from './backoff.js';
import type { NormalSupervisorSpec } from './child-spec.js';
import { type Child, ChildTable, type Delayed, isRef, newChild } from './child-table.js';
import { startChildProcess, startFailure, stopChildProcess, type StartSupervisor } from './children.js';
import { report, isNormal, type SupervisorEvents } from './events.js';
import { RestartIntensity } from './intensity.js';
import { restartGroup } from './strategies.js';

/** What the supervisor actor is started with (main placement: passed by reference). */
export interface SupervisorSetup {
  system: SystemImpl;
  spec: NormalSupervisorSpec;
  /** the Supervisor object that emits this supervisor's events */
  events: SupervisorEvents;
  /** starts a nested supervisor (with its own Supervisor object) */
  startNested: StartSupervisor;
}

type EventType = SupervisorEvent['type'];

export class SupervisorCore implements Administered {
  readonly spec: NormalSupervisorSpec;
  readonly table: ChildTable;
  private readonly ctx: ActorContext;
  private readonly system: SystemImpl;
  private readonly events: SupervisorEvents;
  private readonly startNested: StartSupervisor;
  private readonly log: Logger;
  private readonly intensity: RestartIntensity;

  constructor(ctx: ActorContext, setup: SupervisorSetup) {
    this.ctx = ctx;
    this.system = setup.system;
    this.spec = setup.spec;
    this.table = new ChildTable(setup.spec.strategy === 'simple_one_for_one');
    this.events = setup.events;
    this.startNested = setup.startNested;
    this.log = setup.system.log.child({ supervisor: setup.spec.name });
    this.intensity = new RestartIntensity(setup.spec.intensity, setup.spec.period);
  }

  /** Starts the children in order; on a failure stops those started (reverse) and fails. */
  async init(): Promise<this> {
    // our record of a child's crash is the one: the child's own would repeat it
    this.system.reportsExits(this.ctx.self.id);
    if (this.table.simple) return this;
    for (const spec of this.spec.children) {
      const child = newChild(spec, undefined);
      try {
        await this.startOne(child, 'started');
      } catch (error) {
        await this.terminateAll();
        throw startFailure(this.spec.name, spec.id, error, '; the children started before it were stopped');
      }
      this.table.add(child);
    }
    return this;
  }

  isAlive(id: string): boolean {
    return this.system.isAlive(id);
  }

  // ---- exits and restarts ---------------------------------------------------------------------------

  /** A linked actor exited: a child (restart it, or not), or our parent (shut down). */
  async onExit(message: ExitMessage): Promise<this> {
    const child = this.table.byPid.get(message.from.id);
    if (!child) {
      // Our parent ended: stop too, children first (a kill still gets an orderly shutdown here).
      if (message.from.id === this.ctx.parent?.id) {
        this.ctx.stop(message.reason.kind === 'killed' ? { kind: 'shutdown', detail: 'parent killed' } : message.reason);
      }
      return this;
    }
    this.table.byPid.delete(message.from.id);
    child.lastId = message.from.id;
    child.pid = null;
    this.emit('exited', child, message.from, message.reason);
    // the system is shutting down (its extensions end their processes first): nothing restarts
    if (this.system.closed) return this;
    const { restart, significant } = child.spec;
    if (restart === 'permanent' || (restart === 'transient' && !isNormal(message.reason))) {
      await this.restart(child, false);
      return this;
    }
    if (restart === 'temporary' || this.table.simple) this.table.remove(child);
    if (significant) this.autoShutdown();
    return this;
  }

  /**
   * OTP restart/2: one more restart against the intensity, then the strategy's group is taken
   * down and brought up again. `retry`: a failed restart tried again (its backoff keeps counting).
   */
  private async restart(child: Child, retry: boolean): Promise<void> {
    if (!this.intensity.add()) return this.giveUp();
    const backoff = child.spec.backoff;
    if (!retry && backoff && backoffExpired(backoff, child.startedAt)) child.attempts = 0;
    const group = await this.takeDown(child);
    await this.bringUp(group, child);
  }

  /** Stops the siblings the strategy restarts with `failed` (reverse order); returns the group. */
  private async takeDown(failed: Child): Promise<Child[]> {
    const group = restartGroup(this.spec.strategy, this.table.children, failed);
    for (const sibling of [...group].reverse()) {
      if (sibling === failed) continue;
      await this.stopOne(sibling);
      // OTP temporary_bystander: a temporary child taken down with the group is not restarted
      if (sibling.spec.restart === 'temporary') this.table.remove(sibling);
    }
    const restarted = group.filter((c) => c === failed || c.spec.restart !== 'temporary');
    for (const c of restarted) c.pid = 'restarting';
    return restarted;
  }

  /** Restarts a group now, or after the lead child's backoff delay. */
  private async bringUp(group: Child[], lead: Child): Promise<void> {
    const backoff = lead.spec.backoff;
    if (backoff) {
      const delay = backoffDelay(backoff, lead.attempts++);
      if (delay > 0) {
        const delayed: Delayed = { timer: setTimeout(() => this.ctx.self.send({ type: '$restart', group, delayed }), delay) };
        for (const c of group) c.pending = delayed;
        return;
      }
    }
    await this.startGroup(group);
  }

  /**
   * Starts the group's children that still wait for a restart, in order. When one fails, it waits
   * for a retry, the ones after it are left stopped, and the restart is tried again from it
   * (OTP try_again_restart): rest_for_one keeps the children started before it, one_for_all takes
   * the whole group down again.
   */
  async startGroup(group: Child[]): Promise<this> {
    const waiting = group.filter((c) => c.pid === 'restarting' && c.pending === undefined);
    for (const [at, child] of waiting.entries()) {
      try {
        await this.startOne(child, 'restarted');
      } catch (error) {
        child.pid = 'restarting';
        for (const rest of waiting.slice(at + 1)) rest.pid = null;
        this.emit('restart_failed', child, undefined, { kind: 'error', error });
        // through the mailbox, so a call or an exit that came meanwhile goes first
        this.ctx.self.send({ type: '$retry', child });
        return this;
      }
    }
    return this;
  }

  /** A backoff delay is over: restart the children still waiting for this very timer. */
  delayedRestart(group: Child[], delayed: Delayed): Promise<this> {
    const due = group.filter((c) => c.pending === delayed);
    for (const c of due) c.pending = undefined;
    return this.startGroup(due);
  }

  /** A failed restart is tried again, unless the child was terminated or removed meanwhile. */
  async retry(child: Child): Promise<this> {
    if (child.pid !== 'restarting' || child.pending !== undefined || !this.table.has(child)) return this;
    await this.restart(child, true);
    return this;
  }

  /** Too many restarts: the fault is not transient; end, and let our supervisor decide. */
  private giveUp(): void {
    this.ctx.stop({ kind: 'shutdown', detail: 'reached_max_restart_intensity' });
  }

  /** A significant child ended for good: maybe the whole supervisor ends (autoShutdown). */
  private autoShutdown(): void {
    const mode = this.spec.autoShutdown;
    if (mode === 'never') return;
    if (mode === 'all_significant' && this.table.all().some((c) => c.spec.significant && c.pid !== null)) return;
    this.ctx.stop({ kind: 'shutdown', detail: 'auto_shutdown' });
  }

  // ---- starting and stopping one child -----------------------------------------------------------

  async startOne(child: Child, event: 'started' | 'restarted'): Promise<ActorRef> {
    const { spec } = child;
    const args = child.extra === undefined ? spec.args : [...spec.args, ...child.extra];
    const snapshot = spec.restartFrom === 'snapshot' && child.lastId !== undefined ? this.system.snapshotOf(child.lastId) : undefined;
    const ref = await startChildProcess(this.system, this.ctx.self.id, spec, args, snapshot, this.startNested);
    child.pid = ref;
    child.startedAt = Date.now();
    this.table.byPid.set(ref.id, child);
    if (event === 'restarted') child.restarts++;
    this.emit(event, child, ref);
    return ref;
  }

  /** Stops a running child by its shutdown spec (a pending restart is cancelled). */
  async stopOne(child: Child): Promise<void> {
    const ref = child.pid;
    child.pid = null;
    const pending = child.pending;
    if (pending) {
      child.pending = undefined;
      if (!this.table.all().some((c) => c.pending === pending)) clearTimeout(pending.timer);
    }
    if (!isRef(ref)) return;
    this.table.byPid.delete(ref.id);
    child.lastId = ref.id;
    const reason = await stopChildProcess(this.system, this.ctx.self.id, ref, child.spec.shutdown, child.spec.kind);
    this.emit('exited', child, ref, reason);
  }

  /** Stops every child: dynamic instances together, static ones in reverse start order. */
  private async terminateAll(): Promise<void> {
    const instances = [...this.table.dynamic];
    this.table.dynamic.clear();
    await Promise.all(instances.map((child) => this.stopOne(child)));
    for (const child of [...this.table.children].reverse()) await this.stopOne(child);
  }

  /** onStop: the supervisor is ending (stopped, intensity, auto shutdown, or its parent ended). */
  async terminate(reason: ExitReason): Promise<void> {
    await this.terminateAll();
    this.emit('shutdown', undefined, undefined, reason);
  }

  // ---- events --------------------------------------------------------------------------------------------

  private emit(type: EventType, child: Child | undefined, ref: ActorRef | undefined, reason?: ExitReason): void {
    const event: SupervisorEvent = { type, supervisor: this.spec.name, id: child?.spec.id };
    if (ref) event.ref = ref;
    if (reason) event.reason = reason;
    if (child && (type === 'restarted' || type === 'exited')) event.restarts = child.restarts;
    report(this.log, this.events, event);
  }
}

/** Wraps an admin call as an ask handler: its result or its SupervisorError goes back to the caller. */
function call(op: (core: SupervisorCore, arg: unknown) => unknown) {
  return async (core: SupervisorCore, msg: { arg?: unknown }, ctx: ActorContext): Promise<SupervisorCore> => {
    const answer = ctx.deferReply!();
    try {
      answer?.(true, await op(core, msg.arg));
    } catch (error) {
      answer?.(false, error);
    }
    return core;
  };
}

/** The supervisor behaviour as an actor definition (placement 'main', trapExit). */
export const SupervisorActor = untracked(
  defineActor({
    name: 'Supervisor',
    trapExit: true,
    init: (ctx, setup: SupervisorSetup) => new SupervisorCore(ctx, setup).init(),
    receive: {
      EXIT: (core: SupervisorCore, msg: ExitMessage) => core.onExit(msg),
      $restart: (core: SupervisorCore, msg: { group: Child[]; delayed: Delayed }) => core.delayedRestart(msg.group, msg.delayed),
      $retry: (core: SupervisorCore, msg: { child: Child }) => core.retry(msg.child),
      $start_child: call(startChild),
      $terminate_child: call(terminateChild),
      $restart_child: call(restartChild),
      $delete_child: call(deleteChild),
      $which_children: call((core) => core.table.rows()),
      $count_children: call((core) => core.table.counts()),
    },
    onStop: (core: SupervisorCore, reason: ExitReason) => core.terminate(reason),
  }),
);
