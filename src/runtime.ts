/**
 * The per-thread half of the kernel, shared by the main thread and every worker host: the table of
 * local cells, message delivery (local sends are a push onto a mailbox; remote ones are checked,
 * batched and posted), asks and their replies, and the one rule that no ask ever hangs: a reply,
 * a timeout, or NoProcError when its target is gone.
 */
import type { Logger } from 'pino';
import { behaviourOf } from './behaviour.js';
import { active, asyncIdentity } from './caller.js';
import { Cell } from './cell.js';
import { Deadlines } from './deadlines.js';
import type { AskAddress, Envelope, ReplyEnvelope } from './envelope.js';
import type { Definition } from './define.js';
import { AskTimeoutError, NoProcError, serializeError, reviveError } from './errors.js';
import { checkCloneable, classify, HAS_HANDLES, NOT_JSON, prepareHandles, refusePrivate, reviveHandles } from './handles.js';
import { Ref } from './ref.js';
import type { ActorDefinition, ActorRef, ExitReason, SpawnOptions, System } from './types.js';

/** Messages one cell handles before the next ready cell gets its turn. */
const CELL_BUDGET = 256;
/** Messages handled per event-loop turn before the runtime yields to timers and I/O. */
const TURN_BUDGET = 20_000;

interface PendingAsk {
  to: string;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  /** its timeout is watched by `deadlines` */
  timed: boolean;
}

export type { ReplyEnvelope };

export abstract class Runtime {
  readonly cells = new Map<string, Cell>();
  private readonly pending = new Map<number, PendingAsk>();
  private readonly deadlines = new Deadlines((rid, ms) => {
    const pending = this.pending.get(rid);
    if (pending === undefined) return false;
    this.pending.delete(rid);
    pending.reject(new AskTimeoutError(`ask to ${pending.to} got no reply within ${ms} ms; raise { timeout } or check that its handler calls ctx.reply()`));
    return true;
  });
  private nextRid = 1;
  /** sender id used outside actor handlers (the Process running in this worker, if any) */
  defaultSender: string | undefined;

  abstract readonly site: number;
  abstract readonly system: System;
  abstract readonly log: Logger;

  // ---- abstract transport and kernel calls ----------------------------------------------------

  /** posts an envelope towards a non-local actor */
  protected abstract forward(envelope: Envelope, transfer: readonly unknown[] | undefined): void;
  /** posts a reply towards another site */
  protected abstract forwardReply(reply: ReplyEnvelope): void;
  abstract deadLetter(envelope: Envelope): void;
  abstract cellExited(cell: Cell, reason: ExitReason): void;
  abstract spawnChild(parentId: string | null, def: ActorDefinition, opts: SpawnOptions): Promise<ActorRef>;
  abstract link(a: string, b: string): void;
  abstract monitor(watcher: string, target: string): void;
  abstract stop(id: string, reason: ExitReason): Promise<void>;
  abstract exited(id: string): Promise<ExitReason>;
  abstract persist(id: string, snapshot: unknown): void;

  /**
   * Is `to` known to have exited? Asked only when a message for another thread fails its clone
   * check (no cost on the fast path): a message to the dead is a dead letter — an ask gets
   * NoProcError — never a SerializationError. Main knows from its directory; a host cannot tell.
   */
  protected gone(_to: string): boolean {
    return false;
  }

  /**
   * Sends everything this thread has queued toward other threads now: called before a
   * synchronisation primitive publishes through shared memory (causal order per thread).
   */
  flushOut(): void {}

  // ---- scheduling ---------------------------------------------------------------------------------

  /** Cells with messages to handle, drained in one microtask (no task per cell or message). */
  private readyCells: Cell[] = [];
  private readyHead = 0;
  private draining = false;

  ready(cell: Cell): void {
    this.readyCells.push(cell);
    if (this.draining) return;
    this.draining = true;
    queueMicrotask(this.runReady);
  }

  /**
   * Runs `deliver` (which hands messages to cells), then the turns it made ready, at once: a batch
   * that arrived from another thread is handled in the callback that brought it, as the microtask
   * right after it would, without queueing one.
   */
  deliverNow<A>(deliver: (arg: A) => void, arg: A): void {
    if (this.draining) return deliver(arg);
    this.draining = true;
    try {
      deliver(arg);
    } finally {
      this.runReady();
    }
  }

  private readonly runReady = (): void => {
    let budget = TURN_BUDGET;
    while (this.readyHead < this.readyCells.length) {
      const cell = this.readyCells[this.readyHead]!;
      this.readyCells[this.readyHead++] = undefined as unknown as Cell;
      budget -= cell.drain(CELL_BUDGET);
      if (budget <= 0 && this.readyHead < this.readyCells.length) {
        // Let timers and I/O in, then go on where we stopped.
        this.readyCells = this.readyCells.slice(this.readyHead);
        this.readyHead = 0;
        setImmediate(this.runReady);
        return;
      }
    }
    this.readyCells.length = 0;
    this.readyHead = 0;
    this.draining = false;
  };

  // ---- refs and identity ----------------------------------------------------------------------

  ref(id: string, name: string | undefined): ActorRef {
    return new Ref(this, id, name);
  }

  withActor<T>(cell: Cell, fn: () => T): T {
    const previous = active.id;
    active.id = cell.id;
    try {
      const identity = cell.awaits ? asyncIdentity() : undefined;
      return identity !== undefined && identity.getStore() !== cell.id ? identity.run(cell.id, fn) : fn();
    } finally {
      active.id = previous;
    }
  }

  /** The actor (or Process) on whose behalf code runs: across awaits once asyncIdentity is on. */
  currentSender(): string | undefined {
    return active.id ?? asyncIdentity()?.getStore() ?? this.defaultSender;
  }

  // ---- local cells --------------------------------------------------------------------------------

  /** Creates and starts a cell on this thread; rejects if its init throws. */
  startCell(
    def: Definition,
    id: string,
    name: string | undefined,
    parentId: string | null,
    args: readonly unknown[],
    snapshot: unknown,
  ): Promise<void> | undefined {
    const cell = new Cell(this, behaviourOf(def), id, name, name ?? def.name, parentId);
    this.cells.set(id, cell);
    let started: Promise<void> | undefined;
    try {
      started = cell.start(args, snapshot);
    } catch (error) {
      this.cells.delete(id);
      throw error;
    }
    return started?.catch((error) => {
      this.cells.delete(id);
      throw error;
    });
  }

  /** Whether `id` is a cell of this thread that is idle (see Cell.idle). */
  idle(id: string): boolean {
    return this.cells.get(id)?.idle === true;
  }

  // ---- messaging ------------------------------------------------------------------------------------

  send(to: string, msg: unknown, sender: string | undefined, transfer?: readonly unknown[]): void {
    const cell = this.cells.get(to);
    if (cell !== undefined) return this.sendToCell(cell, msg, sender);
    this.sendAway(to, msg, sender, transfer);
  }

  /** A send to a cell of this thread (`ref.send()` finds it in the ref's cache). */
  sendToCell(cell: Cell, msg: unknown, sender: string | undefined): void {
    refusePrivate(msg);
    cell.post(msg, sender);
  }

  /** A send to an actor in another thread, or one that is gone. */
  sendAway(to: string, msg: unknown, sender: string | undefined, transfer: readonly unknown[] | undefined): void {
    const envelope: Envelope = sender === undefined ? { to, msg } : { to, msg, from: sender };
    let flags: number;
    try {
      flags = classify(msg);
    } catch (error) {
      if (this.gone(to)) return this.deadLetter(envelope);
      throw error;
    }
    mark(envelope, flags);
    if (flags & HAS_HANDLES) envelope.msg = prepareHandles(msg, to);
    if (transfer) envelope.clone = 1;
    this.forward(envelope, transfer);
  }

  /**
   * Sends `item` inside a list message `{ type, end?, items }` (queue puts, pipe sends). Across
   * threads, main merges consecutive items with the same target, kind and sender into one message.
   * `flags` are the item's classify() flags (the caller checked it).
   */
  sendItem(to: string, type: string, end: number | undefined, item: unknown, flags: number): void {
    const sender = this.currentSender();
    const cell = this.cells.get(to);
    if (cell !== undefined) {
      cell.post(end === undefined ? { type, items: [item] } : { type, end, items: [item] }, sender);
      return;
    }
    this.forwardItem(to, sender, type, end, flags & HAS_HANDLES ? prepareHandles(item, to) : item, flags);
  }

  /** Sends a one-item list message to another thread (a worker writes it as an item record). */
  protected forwardItem(to: string, sender: string | undefined, type: string, end: number | undefined, item: unknown, flags: number): void {
    const msg = end === undefined ? { type, items: [item] } : { type, end, items: [item] };
    const envelope: Envelope = sender === undefined ? { to, msg } : { to, msg, from: sender };
    mark(envelope, flags);
    this.forward(envelope, undefined);
  }

  ask(to: string, msg: unknown, timeout: number, sender: string | undefined): Promise<unknown> {
    const cell = this.cells.get(to);
    const rid = this.nextRid++;
    const envelope: Envelope = { to, msg, ask: { site: this.site, rid } };
    let dead = false;
    if (cell === undefined) {
      try {
        const flags = classify(msg);
        mark(envelope, flags);
        if (flags & HAS_HANDLES) envelope.msg = prepareHandles(msg, to);
      } catch (error) {
        // a message to an actor that has exited is a dead letter, whatever it holds
        if (!this.gone(to)) return Promise.reject(error);
        dead = true;
      }
    } else {
      try {
        refusePrivate(msg);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    if (sender !== undefined) envelope.from = sender;
    const promise = new Promise<unknown>((resolve, reject) => {
      const timed = timeout !== Infinity && timeout !== null && timeout !== undefined;
      const pending: PendingAsk = { to, resolve, reject, timed };
      if (timed) this.deadlines.add(timeout, rid);
      this.pending.set(rid, pending);
    });
    if (cell !== undefined) cell.enqueue(envelope);
    else if (dead) this.deadLetter(envelope);
    else this.forward(envelope, undefined);
    return promise;
  }

  reply(to: AskAddress, ok: boolean, value: unknown): void {
    if (to.site === this.site) return this.settle(to.rid, ok, value);
    const reply: ReplyEnvelope = { ask: to, ok, value: ok ? value : serializeError(value) };
    if (ok) {
      try {
        const flags = classify(value, 'reply');
        if (flags & HAS_HANDLES) reply.value = prepareHandles(value, `@${to.site}`);
        reply.clone = flags & NOT_JSON ? 1 : 0;
      } catch (error) {
        reply.ok = false;
        reply.value = serializeError(error);
      }
    }
    this.forwardReply(reply);
  }

  /** Settles a pending ask of this site (late replies to timed-out asks are dropped). */
  settle(rid: number, ok: boolean, value: unknown): void {
    const pending = this.pending.get(rid);
    if (pending === undefined) return;
    this.pending.delete(rid);
    try {
      if (ok) pending.resolve(value);
      else pending.reject(reviveError(value));
    } finally {
      // after resolve: the caller's continuation runs before the timers are let go (deadlines.ts)
      if (pending.timed) this.deadlines.settled();
    }
  }

  /** Receives a reply posted by another site. */
  receiveReply(reply: ReplyEnvelope): void {
    this.settleReply(reply.ask.rid, reply.ok, reply.value);
  }

  /** Settles ask `rid` with a reply that came from another thread (its handles revived here). */
  settleReply(rid: number, ok: boolean, value: unknown): void {
    this.settle(rid, ok, ok ? reviveHandles(value, this) : value);
  }

  /** Delivers an envelope that arrived from another thread to a local cell. */
  receive(envelope: Envelope): void {
    if (envelope.handles === 1) envelope.msg = reviveHandles(envelope.msg, this, envelope.to);
    const cell = this.cells.get(envelope.to);
    if (cell === undefined) return this.deadLetter(envelope);
    cell.enqueue(envelope);
  }

  /** Rejects every pending ask whose target is among `ids` (their host died). */
  targetsDown(ids: ReadonlySet<string>): void {
    for (const [rid, pending] of this.pending) {
      if (!ids.has(pending.to)) continue;
      this.pending.delete(rid);
      if (pending.timed) this.deadlines.settled();
      pending.reject(new NoProcError(`actor ${pending.to} was killed before it replied (its worker died)`));
    }
  }

  /** Rejects every pending ask (the runtime is going away). */
  rejectAllPending(error: Error): void {
    for (const [rid, pending] of this.pending) {
      this.pending.delete(rid);
      pending.reject(error);
    }
    this.deadlines.clear();
  }

  get pendingCount(): number {
    return this.pending.size;
  }
}

function mark(envelope: Envelope, flags: number): void {
  if (flags & HAS_HANDLES) envelope.handles = 1;
  if (flags & NOT_JSON) envelope.clone = 1;
}

/** A message addressed to nobody: answer an ask with NoProcError so it never hangs. */
export function noProcReply(runtime: Runtime, envelope: Envelope): void {
  if (envelope.ask) runtime.reply(envelope.ask, false, new NoProcError(`no actor ${envelope.to}: it has exited or never existed`));
}

export { trackAsyncIdentity } from './caller.js';
