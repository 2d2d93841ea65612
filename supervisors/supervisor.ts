/**
 * The supervisor actor (OTP supervisor.erl semantics), run in the main thread with trapExit:
 * children start in list order and stop in reverse; a child's exit is restarted according to its
 * restart type (permanent always, transient only after an abnormal exit — `normal` and `shutdown`
 * are normal —, temporary never, and forgotten) and the strategy (one_for_one, one_for_all,
 * rest_for_one, simple_one_for_one). More than `intensity` restarts within `period` ms ends the
 * supervisor with { kind: 'shutdown', detail: 'reached_max_restart_intensity' }, which its own
 * supervisor sees as a failure of a child: faults escalate up the tree. Admin calls are messages,
 * handled one at a time like gen_server calls, and fail with SupervisorError's OTP codes.
 */
import type { Logger } from 'pino';
import { defineActor } from '../src/define.js';
import { SupervisorError } from '../src/errors.js';
import type { SystemImpl } from '../src/system/system.js';
import type { ActorContext, ActorRef, ChildCounts, ChildRow, ExitMessage, ExitReason, SupervisorEvent } from '../src/types.js';
import { backoffDelay, backoffExpired } from './backoff.js';
import { checkChildSpec, type NormalChildSpec, type NormalSupervisorSpec } from './child-spec.js';
import { startChildProcess, stopChildProcess, type StartSupervisor } from './children.js';
import { report, isNormal, type SupervisorEvents } from './events.js';
import { RestartIntensity } from './intensity.js';
import { restartGroup } from './strategies.js';

/** One child as its supervisor tracks it. */
interface Child {
  spec: NormalChildSpec;
  /** simple_one_for_one: the extra args given to startChild */
  extra: readonly unknown[] | undefined;
  /** the running actor, null when not running, 'restarting' while a restart is pending */
  pid: ActorRef | null | 'restarting';
  /** id of the last actor that ran this child: its snapshot feeds restartFrom 'snapshot' */
  lastId: string | undefined;
  startedAt: number;
  /** successful restarts so far */
  restarts: number;
  /** consecutive backoff attempts */
  attempts: number;
  /** the delayed restart this child waits for (shared by the group restarted with it) */
  pending: Delayed | undefined;
}

/** A backoff timer and the children it will restart. */
interface Delayed {
  timer: NodeJS.Timeout;
}

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

const isRef = (pid: Child['pid']): pid is ActorRef => pid !== null && pid !== 'restarting';

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

export class SupervisorCore {
  private readonly ctx: ActorContext;
  private readonly system: SystemImpl;
  private readonly spec: NormalSupervisorSpec;
  private readonly events: SupervisorEvents;
  private readonly startNested: StartSupervisor;
  private readonly log: Logger;
  private readonly intensity: RestartIntensity;
  /** static children, in start order */
  private readonly children: Child[] = [];
  /** simple_one_for_one instances, in start order */
  private readonly dynamic = new Set<Child>();
  private readonly byPid = new Map<string, Child>();

  constructor(ctx: ActorContext, setup: SupervisorSetup) {
    this.ctx = ctx;
    this.system = setup.system;
    this.spec = setup.spec;
    this.events = setup.events;
    this.startNested = setup.startNested;
    this.log = setup.system.log.child({ supervisor: setup.spec.name });
    this.intensity = new RestartIntensity(setup.spec.intensity, setup.spec.period);
  }

  private get simple(): boolean {
    return this.spec.strategy === 'simple_one_for_one';
  }

  /** Starts the children in order; on a failure stops those started (reverse) and fails. */
  async init(): Promise<this> {
    if (this.simple) return this;
    for (const spec of this.spec.children) {
      const child = newChild(spec, undefined);
      try {
        await this.startOne(child, 'started');
      } catch (error) {
        await this.terminateAll();
        throw new SupervisorError(
          'failed_to_start_child',
          `supervisor "${this.spec.name}" could not start child "${spec.id}" (${describeError(error)}); the children started before it were stopped`,
          { cause: error },
        );
      }
      this.children.push(child);
    }
    return this;
  }

  // ---- exits and restarts ---------------------------------------------------------------------------

  /** A linked actor exited: a child (restart it, or not), or our parent (shut down). */
  async onExit(message: ExitMessage): Promise<this> {
    const child = this.byPid.get(message.from.id);
    if (!child) {
      // Our parent ended: stop too, children first (a kill still gets an orderly shutdown here).
      if (message.from.id === this.ctx.parent?.id) {
        this.ctx.stop(message.reason.kind === 'killed' ? { kind: 'shutdown', detail: 'parent killed' } : message.reason);
      }
      return this;
    }
    this.byPid.delete(message.from.id);
    child.lastId = message.from.id;
    child.pid = null;
    this.emit('exited', child, message.from, message.reason);
    const { restart, significant } = child.spec;
    if (restart === 'permanent' || (restart === 'transient' && !isNormal(message.reason))) {
      await this.restart(child);
      return this;
    }
    if (restart === 'temporary' || this.simple) this.remove(child);
    if (significant) this.autoShutdown();
    return this;
  }

  private async restart(child: Child): Promise<void> {
    if (!this.intensity.add()) return this.giveUp();
    const backoff = child.spec.backoff;
    if (backoff && backoffExpired(backoff, child.startedAt)) child.attempts = 0;
    const group = await this.takeDown(child);
    await this.bringUp(group, child);
  }

  /** Stops the siblings the strategy restarts with `failed` (reverse order); returns the group. */
  private async takeDown(failed: Child): Promise<Child[]> {
    let group = restartGroup(this.spec.strategy, this.children, failed);
    for (const sibling of [...group].reverse()) {
      if (sibling === failed) continue;
      await this.stopOne(sibling);
      if (sibling.spec.restart === 'temporary') this.remove(sibling);
    }
    group = group.filter((c) => c === failed || c.spec.restart !== 'temporary');
    for (const c of group) c.pid = 'restarting';
    return group;
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
   * Starts the group's children that still wait for a restart, in order. If one fails, the ones
   * just started are stopped again and the whole group is retried (counted as another restart).
   */
  async startGroup(group: Child[]): Promise<this> {
    const waiting = group.filter((c) => c.pid === 'restarting' && c.pending === undefined);
    const started: Child[] = [];
    for (const child of waiting) {
      try {
        await this.startOne(child, 'restarted');
        started.push(child);
      } catch (error) {
        child.pid = 'restarting';
        this.emit('restart_failed', child, undefined, { kind: 'error', error });
        for (const done of started.reverse()) {
          await this.stopOne(done);
          done.pid = 'restarting';
        }
        this.ctx.self.send({ type: '$retry', group: waiting, lead: child });
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

  /** A failed restart is tried again: it counts against the intensity like any restart. */
  async retry(group: Child[], lead: Child): Promise<this> {
    const waiting = group.filter((c) => c.pid === 'restarting' && c.pending === undefined);
    if (waiting.length === 0) return this;
    if (!this.intensity.add()) {
      this.giveUp();
      return this;
    }
    await this.bringUp(waiting, lead);
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
    if (mode === 'all_significant' && this.all().some((c) => c.spec.significant && c.pid !== null)) return;
    this.ctx.stop({ kind: 'shutdown', detail: 'auto_shutdown' });
  }

  // ---- starting and stopping one child -----------------------------------------------------------

  private async startOne(child: Child, event: 'started' | 'restarted'): Promise<ActorRef> {
    const { spec } = child;
    const args = child.extra === undefined ? spec.args : [...spec.args, ...child.extra];
    const snapshot = spec.restartFrom === 'snapshot' && child.lastId !== undefined ? this.system.snapshotOf(child.lastId) : undefined;
    const ref = await startChildProcess(this.system, this.ctx.self.id, spec, args, snapshot, this.startNested);
    child.pid = ref;
    child.startedAt = Date.now();
    this.byPid.set(ref.id, child);
    if (event === 'restarted') child.restarts++;
    this.emit(event, child, ref);
    return ref;
  }

  /** Stops a running child by its shutdown spec (a pending restart is cancelled). */
  private async stopOne(child: Child): Promise<void> {
    const ref = child.pid;
    child.pid = null;
    const pending = child.pending;
    if (pending) {
      child.pending = undefined;
      if (!this.all().some((c) => c.pending === pending)) clearTimeout(pending.timer);
    }
    if (!isRef(ref)) return;
    this.byPid.delete(ref.id);
    child.lastId = ref.id;
    const reason = await stopChildProcess(this.system, this.ctx.self.id, ref, child.spec.shutdown, child.spec.kind);
    this.emit('exited', child, ref, reason);
  }

  /** Stops every child: dynamic instances together, static ones in reverse start order. */
  private async terminateAll(): Promise<void> {
    const instances = [...this.dynamic];
    this.dynamic.clear();
    await Promise.all(instances.map((child) => this.stopOne(child)));
    for (const child of [...this.children].reverse()) await this.stopOne(child);
  }

  /** onStop: the supervisor is ending (stopped, intensity, auto shutdown, or its parent ended). */
  async terminate(reason: ExitReason): Promise<void> {
    await this.terminateAll();
    this.emit('shutdown', undefined, undefined, reason);
  }

  // ---- admin calls ------------------------------------------------------------------------------------

  async startChild(arg: unknown): Promise<{ pid: ActorRef | null }> {
    if (this.simple) {
      if (!Array.isArray(arg)) {
        throw new SupervisorError('bad_start_spec', `supervisor "${this.spec.name}" is simple_one_for_one: startChild takes an array of extra args for the template, not ${typeof arg}`);
      }
      const child = newChild(this.spec.children[0]!, arg);
      const pid = await this.startOrFail(child);
      this.dynamic.add(child);
      return { pid };
    }
    const spec = checkChildSpec(arg, this.spec.autoShutdown, `supervisor "${this.spec.name}": `);
    const existing = this.children.find((c) => c.spec.id === spec.id);
    if (existing) {
      if (isRef(existing.pid)) {
        throw new SupervisorError('already_started', `child "${spec.id}" is already running under supervisor "${this.spec.name}"`, { pid: existing.pid });
      }
      throw new SupervisorError('already_present', `a child spec with id "${spec.id}" exists (not running); restartChild("${spec.id}") starts it, or deleteChild it first`);
    }
    const child = newChild(spec, undefined);
    const pid = await this.startOrFail(child);
    this.children.push(child);
    return { pid };
  }

  async terminateChild(idOrRef: unknown): Promise<void> {
    const child = this.find(idOrRef, 'terminateChild', true);
    await this.stopOne(child);
    if (this.simple || child.spec.restart === 'temporary') this.remove(child);
  }

  async restartChild(id: unknown): Promise<{ pid: ActorRef | null }> {
    const child = this.find(id, 'restartChild', false);
    if (child.pid === 'restarting') throw new SupervisorError('restarting', `child "${child.spec.id}" is waiting for a restart already`);
    if (child.pid !== null) throw new SupervisorError('running', `child "${child.spec.id}" is running; terminateChild("${child.spec.id}") first`);
    return { pid: await this.startOrFail(child) };
  }

  deleteChild(id: unknown): void {
    const child = this.find(id, 'deleteChild', false);
    if (child.pid === 'restarting') throw new SupervisorError('restarting', `child "${child.spec.id}" is waiting for a restart; terminateChild("${child.spec.id}") first`);
    if (child.pid !== null) throw new SupervisorError('running', `child "${child.spec.id}" is running; terminateChild("${child.spec.id}") first`);
    this.remove(child);
  }

  whichChildren(): ChildRow[] {
    return this.all().map((c) => ({ id: this.simple ? undefined : c.spec.id, pid: c.pid, type: c.spec.type }));
  }

  countChildren(): ChildCounts {
    const all = this.all();
    const supervisors = all.filter((c) => c.spec.type === 'supervisor').length;
    return {
      specs: this.simple ? 1 : all.length,
      active: all.filter((c) => isRef(c.pid)).length,
      supervisors,
      workers: all.length - supervisors,
    };
  }

  private async startOrFail(child: Child): Promise<ActorRef> {
    try {
      return await this.startOne(child, 'started');
    } catch (error) {
      throw new SupervisorError('failed_to_start_child', `supervisor "${this.spec.name}" could not start child "${child.spec.id}": ${describeError(error)}`, { cause: error });
    }
  }

  /** The child an admin call names; simple_one_for_one children are named by their ref only. */
  private find(idOrRef: unknown, call: string, refAllowed: boolean): Child {
    const isRefArg = typeof idOrRef === 'object' && idOrRef !== null && typeof (idOrRef as ActorRef).id === 'string';
    if (this.simple && !(refAllowed && isRefArg)) {
      throw new SupervisorError('simple_one_for_one', `supervisor "${this.spec.name}" is simple_one_for_one: ${refAllowed ? `${call} takes the child's ActorRef` : `${call} is not available; use terminateChild(ref)`}`);
    }
    const child = isRefArg ? this.byPid.get((idOrRef as ActorRef).id) : this.children.find((c) => c.spec.id === idOrRef);
    if (!child) throw new SupervisorError('not_found', `supervisor "${this.spec.name}" has no child ${isRefArg ? String(idOrRef) : JSON.stringify(idOrRef)}`);
    return child;
  }

  private all(): Child[] {
    return this.simple ? [...this.dynamic] : this.children;
  }

  private remove(child: Child): void {
    if (this.dynamic.delete(child)) return;
    const at = this.children.indexOf(child);
    if (at >= 0) this.children.splice(at, 1);
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

function newChild(spec: NormalChildSpec, extra: readonly unknown[] | undefined): Child {
  return { spec, extra, pid: null, lastId: undefined, startedAt: 0, restarts: 0, attempts: 0, pending: undefined };
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
export const SupervisorActor = defineActor({
  name: 'Supervisor',
  trapExit: true,
  init: (ctx, setup: SupervisorSetup) => new SupervisorCore(ctx, setup).init(),
  receive: {
    EXIT: (core: SupervisorCore, msg: ExitMessage) => core.onExit(msg),
    $restart: (core: SupervisorCore, msg: { group: Child[]; delayed: Delayed }) => core.delayedRestart(msg.group, msg.delayed),
    $retry: (core: SupervisorCore, msg: { group: Child[]; lead: Child }) => core.retry(msg.group, msg.lead),
    $start_child: call((core, arg) => core.startChild(arg)),
    $terminate_child: call((core, arg) => core.terminateChild(arg)),
    $restart_child: call((core, arg) => core.restartChild(arg)),
    $delete_child: call((core, arg) => core.deleteChild(arg)),
    $which_children: call((core) => core.whichChildren()),
    $count_children: call((core) => core.countChildren()),
  },
  onStop: (core: SupervisorCore, reason: ExitReason) => core.terminate(reason),
});
