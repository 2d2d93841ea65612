/**
 * A cell runs one actor on the thread that hosts it: its mailbox, its state, and the loop that
 * hands it one message at a time in arrival order (async handlers included). The cell is also the
 * actor's `ctx`, which keeps an idle actor to one small object. Whatever ends an actor ends here,
 * in `finish()`, which answers every pending ask and reports the exit to the runtime exactly once.
 */
import type { Logger } from 'pino';
import type { Behaviour } from './behaviour.js';
import type { Envelope } from './envelope.js';
import { active, asyncIdentity, awaitingActors } from './caller.js';
import { askOf, Letter, type Meta } from './letter.js';
import { Mailbox } from './mailbox.js';
import { exitRequested, NoProcError } from './errors.js';
import type { Runtime } from './runtime.js';
import type { ActorContext, ActorDefinition, ActorRef, ExitReason, SpawnOptions, System } from './types.js';

export type { Envelope };

const enum Phase {
  Starting,
  Running,
  Stopping,
  Dead,
}

export class Cell implements ActorContext {
  readonly id: string;
  readonly name: string | undefined;
  readonly label: string;
  readonly parentId: string | null;
  private readonly runtime: Runtime;
  private readonly behaviour: Behaviour;
  private state: unknown;
  /**
   * Messages in arrival order: a message alone when nothing came with it (a send from outside any
   * actor), else a Letter with its sender or its envelope (an ask). No envelope is allocated for a
   * plain send in this thread.
   */
  private readonly mailbox = new Mailbox();
  private phase = Phase.Starting;
  private scheduled = false;
  private busy = false;
  /** in a turn: what came with the message being handled (see mailbox) */
  private turn: Meta = undefined;
  private inTurn = false;
  private replied = false;
  private stopReason: ExitReason | undefined;
  private abort: AbortController | undefined;
  private logger: Logger | undefined;
  private selfRef: ActorRef | undefined;
  /** set by the testing kit: throw this at the next turn */
  injected: Error | undefined;
  /** its turns may await: counted in caller.ts, and run in its caller context once tracking is on */
  awaits = false;

  constructor(runtime: Runtime, behaviour: Behaviour, id: string, name: string | undefined, label: string, parentId: string | null) {
    this.runtime = runtime;
    this.behaviour = behaviour;
    this.id = id;
    this.name = name;
    this.label = label;
    this.parentId = parentId;
  }

  get trapExit(): boolean {
    return this.behaviour.trapExit;
  }

  get alive(): boolean {
    return this.phase !== Phase.Dead;
  }

  /** Running, with nothing queued and no turn under way: a call into its state now is one more turn. */
  get idle(): boolean {
    return this.phase === Phase.Running && this.mailbox.size === 0 && !this.busy && !this.inTurn;
  }

  // ---- lifecycle -------------------------------------------------------------------------------

  /** Runs init (maybe async); resolves once the actor takes messages, rejects if init threw. */
  /** Returns undefined when init finished synchronously (no promise to allocate). */
  start(args: readonly unknown[], snapshot: unknown): Promise<void> | undefined {
    if (this.behaviour.mayAwait) this.mayAwait();
    let state: unknown;
    try {
      state = this.runtime.withActor(this, () => this.behaviour.init(this, args, snapshot));
    } catch (error) {
      this.failStart();
      throw error;
    }
    if (!isPromise(state)) {
      this.state = state;
      this.started();
      return undefined;
    }
    this.learnAwaits();
    return state.then(
      (value) => {
        this.state = value;
        this.started();
      },
      (error) => {
        this.failStart();
        throw error;
      },
    );
  }

  private failStart(): void {
    this.phase = Phase.Dead;
    this.notAwaiting();
    this.rejectPending();
  }

  private mayAwait(): void {
    if (this.awaits) return;
    this.awaits = true;
    awaitingActors(1);
  }

  private notAwaiting(): void {
    if (!this.awaits) return;
    this.awaits = false;
    awaitingActors(-1);
  }

  /** A turn returned a promise: this behaviour's turns may await (from the next turn on, tracked). */
  private learnAwaits(): void {
    if (this.awaits || this.behaviour.untracked) return;
    this.behaviour.mayAwait = true;
    this.mayAwait();
  }

  private started(): void {
    if (this.phase === Phase.Dead) return;
    if (this.phase === Phase.Starting) this.phase = Phase.Running;
    if (this.stopReason) return void this.finish(this.stopReason, true);
    // messages that came while init ran; an idle actor costs the scheduler nothing
    if (this.mailbox.size > 0) this.schedule();
  }

  enqueue(envelope: Envelope): void {
    if (this.phase === Phase.Dead) return this.runtime.deadLetter(envelope);
    const meta = envelope.ask !== undefined ? envelope : envelope.from;
    this.mailbox.push(meta === undefined ? envelope.msg : new Letter(envelope.msg, meta));
    this.schedule();
  }

  /** A plain send from this thread: no envelope unless it has to be a dead letter. */
  post(msg: unknown, from: string | undefined): void {
    if (this.phase === Phase.Dead) return this.runtime.deadLetter(from === undefined ? { to: this.id, msg } : { to: this.id, msg, from });
    this.mailbox.push(from === undefined ? msg : new Letter(msg, from));
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.busy || this.phase !== Phase.Running) return;
    this.scheduled = true;
    this.runtime.ready(this);
  }

  /**
   * Handles up to `budget` messages (called by the runtime's ready queue); returns how many it
   * handled. A cell with more to do queues itself again, behind the others (fairness).
   */
  drain(budget: number): number {
    this.scheduled = false;
    // once callers are tracked across awaits, one context switch per batch, not per message
    if (!this.awaits && this.behaviour.mayAwait && this.phase === Phase.Running) this.mayAwait();
    const identity = this.awaits ? asyncIdentity() : undefined;
    // the batch runs as this actor: one slot write per batch, not per message
    const previous = active.id;
    active.id = this.id;
    let handled: number;
    try {
      handled = identity ? identity.run(this.id, drainBatch, this, budget) : this.drainBatch(budget);
    } finally {
      active.id = previous;
    }
    if (this.ranDry && this.stopReason && this.phase === Phase.Running) this.finish(this.stopReason, true);
    return handled;
  }

  /** Set when the last batch ended with nothing left to handle (not paused, not out of budget). */
  private ranDry = false;

  /** @internal the loop of drain(), in the caller-tracking context when there is one */
  drainBatch(budget: number): number {
    this.ranDry = false;
    let handled = 0;
    const mailbox = this.mailbox;
    while (this.phase === Phase.Running && mailbox.size > 0) {
      if (handled === budget) {
        this.schedule();
        return handled;
      }
      handled++;
      const entry = mailbox.shift();
      const letter = entry instanceof Letter;
      if (!this.handle(letter ? entry.msg : entry, letter ? entry.meta : undefined)) return handled;
    }
    this.ranDry = true;
    return handled;
  }

  /**
   * Handles one message, as this actor (drain set the slot and the caller context); returns false
   * when the loop must pause (async handler or exit).
   */
  private handle(msg: unknown, meta: Meta): boolean {
    this.turn = meta;
    this.inTurn = true;
    this.replied = false;
    let next: unknown;
    try {
      if (this.injected) {
        const error = this.injected;
        this.injected = undefined;
        throw error;
      }
      const turn = this.behaviour.handlerOf(msg);
      if (turn === undefined) {
        this.unhandled(msg, askOf(meta));
        return this.afterTurn();
      }
      next = turn(this.state, msg, this);
    } catch (error) {
      this.crash(error);
      return false;
    }
    // a handler that returns the state it was given (the common case) returned no promise
    if (next !== this.state && isPromise(next)) return this.awaitTurn(next);
    this.state = next;
    return this.afterTurn();
  }

  /** An async turn: the loop pauses until it settles (kept out of handle() to keep that small). */
  private awaitTurn(next: Promise<unknown>): false {
    this.learnAwaits();
    this.busy = true;
    next.then(
      (state) => {
        this.busy = false;
        if (this.phase === Phase.Dead) return;
        this.state = state;
        if (this.afterTurn()) this.schedule();
      },
      (error) => {
        this.busy = false;
        if (this.phase !== Phase.Dead) this.crash(error);
      },
    );
    return false;
  }

  private afterTurn(): boolean {
    this.turn = undefined;
    this.inTurn = false;
    if (this.stopReason) {
      this.finish(this.stopReason, true);
      return false;
    }
    return true;
  }

  private unhandled(msg: unknown, ask: Envelope['ask']): void {
    const type = typeof msg === 'object' && msg !== null ? (msg as { type?: unknown }).type : undefined;
    if (type === 'EXIT' || type === 'DOWN') return;
    this.log.warn({ actor: this.label, type }, 'unhandled message (no handler for its type)');
    if (ask) this.runtime.reply(ask, false, new NoProcError(`${this.label} has no handler for message type ${String(type)}`));
  }

  private crash(error: unknown): void {
    // an error that asks for a particular exit (the facade's exit() in a shared host) gets it
    this.finish(exitRequested(error) ?? { kind: 'error', error }, true);
  }

  /**
   * Ends the actor: runs onStop (unless killed), answers pending asks with NoProcError, and tells
   * the runtime. Idempotent, except that a kill wins over an onStop still running (a shutdown
   * timeout ran out): the actor exits `killed` at once and the late onStop result is ignored.
   */
  async finish(reason: ExitReason, runStop: boolean): Promise<void> {
    if (this.phase === Phase.Dead) return;
    if (this.phase === Phase.Stopping) {
      if (reason.kind === 'killed') {
        this.behaviour.discard(this.state);
        this.die(reason);
      }
      return;
    }
    const wasStarting = this.phase === Phase.Starting;
    this.phase = Phase.Stopping;
    this.abort?.abort(reason);
    if (runStop && reason.kind !== 'killed' && !wasStarting) {
      try {
        const result = this.runtime.withActor(this, () => this.behaviour.stop(this.state, reason, this));
        if (isPromise(result)) await result;
      } catch (error) {
        if (this.alive) this.log.error({ actor: this.label, err: error }, 'onStop threw');
      }
      // killed while onStop ran: that exit was reported already
      if (!this.alive) return;
    } else if (reason.kind === 'killed') {
      this.behaviour.discard(this.state);
    }
    this.die(reason);
  }

  /** The one place an actor's exit is reported. */
  private die(reason: ExitReason): void {
    this.phase = Phase.Dead;
    this.notAwaiting();
    this.rejectPending();
    this.runtime.cellExited(this, reason);
    // a ref may still hold this cell (Ref CELL cache): keep nothing of the actor's
    this.state = undefined;
  }

  /** Asks the actor to stop after its current handler (graceful). */
  requestStop(reason: ExitReason): void {
    if (this.phase === Phase.Dead || this.phase === Phase.Stopping) return;
    this.stopReason ??= reason;
    if (this.phase === Phase.Starting) return;
    if (!this.busy && !this.inTurn) {
      this.finish(this.stopReason, true);
    }
  }

  private rejectPending(): void {
    const ask = askOf(this.turn);
    if (ask && !this.replied) {
      this.runtime.reply(ask, false, new NoProcError(`${this.label} exited before it replied`));
    }
    this.turn = undefined;
    this.inTurn = false;
    for (const entry of this.mailbox.takeAll()) {
      const pending = entry instanceof Letter ? askOf(entry.meta) : undefined;
      if (pending) this.runtime.reply(pending, false, new NoProcError(`${this.label} exited before it handled the ask`));
    }
  }

  /** Pauses the handler loop for `ms` (testing kit `hang`). */
  hang(ms: number): void {
    if (this.phase === Phase.Dead) return;
    this.busy = true;
    setTimeout(() => {
      this.busy = false;
      if (this.phase === Phase.Stopping || this.phase === Phase.Dead) return;
      if (this.stopReason) return void this.finish(this.stopReason, true);
      this.schedule();
    }, ms);
  }

  // ---- ActorContext ------------------------------------------------------------------------------

  get self(): ActorRef {
    return (this.selfRef ??= this.runtime.ref(this.id, this.name));
  }

  get parent(): ActorRef | null {
    return this.parentId === null ? null : this.runtime.ref(this.parentId, undefined);
  }

  get system(): System {
    return this.runtime.system;
  }

  get log(): Logger {
    return (this.logger ??= this.runtime.log.child({ actor: this.label, id: this.id }));
  }

  get signal(): AbortSignal {
    return (this.abort ??= new AbortController()).signal;
  }

  /** The ref of whoever sent the message being handled (null when sent from outside any actor). */
  get sender(): ActorRef | null {
    const turn = this.turn;
    const from = typeof turn === 'string' ? turn : turn?.from;
    return from === undefined ? null : this.runtime.ref(from, undefined);
  }

  reply(value: unknown): void {
    const ask = askOf(this.turn);
    if (!ask || this.replied) return;
    this.replied = true;
    this.runtime.reply(ask, true, value);
  }

  /**
   * Takes over the answer to the current ask so it can be given later (like gen_server's
   * `{noreply, State}` + `gen_server:reply/2`). Returns undefined if the message was not an ask.
   */
  deferReply(): ((ok: boolean, value: unknown) => void) | undefined {
    const ask = askOf(this.turn);
    if (!ask || this.replied) return undefined;
    this.replied = true;
    let done = false;
    return (ok, value) => {
      if (done) return;
      done = true;
      this.runtime.reply(ask, ok, value);
    };
  }

  send(ref: ActorRef, msg: unknown): void {
    ref.send(msg);
  }

  spawn(def: ActorDefinition, opts: SpawnOptions = {}): Promise<ActorRef> {
    return this.runtime.spawnChild(this.id, def, opts);
  }

  link(ref: ActorRef): void {
    this.runtime.link(this.id, ref.id);
  }

  monitor(ref: ActorRef): void {
    this.runtime.monitor(this.id, ref.id);
  }

  stop(reason: Partial<ExitReason> = {}): void {
    this.stopReason ??= { kind: reason.kind ?? 'normal', ...reason } as ExitReason;
    if (this.phase === Phase.Running && !this.inTurn && !this.busy) this.finish(this.stopReason, true);
  }

  persist(): void {
    this.runtime.persist(this.id, this.behaviour.snapshot(this.state));
  }
}

export function isPromise(value: unknown): value is Promise<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as Promise<unknown>).then === 'function';
}

/** drain()'s loop as a plain function, so entering a caller-tracking context allocates no closure per cell. */
function drainBatch(cell: Cell, budget: number): number {
  return cell.drainBatch(budget);
}
