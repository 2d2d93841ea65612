/**
 * The per-thread half of the kernel, shared by the main thread and every worker host: the table of
 * local cells, message delivery (local sends are a push onto a mailbox; remote ones are checked,
 * batched and posted), asks and their replies, and the one rule that no ask ever hangs: a reply,
 * a timeout, or NoProcError when its target is gone.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from 'pino';
import { behaviourOf } from './behaviour.js';
import { Cell, type Envelope } from './cell.js';
import type { Definition } from './define.js';
import { AskTimeoutError, NoProcError, serializeError, reviveError } from './errors.js';
import { checkCloneable, classify, HAS_HANDLES, NOT_JSON, reviveHandles } from './handles.js';
import { Ref } from './ref.js';
import type { ActorDefinition, ActorRef, ExitReason, SpawnOptions, System } from './types.js';

const IDENTITY = Symbol.for('troupe.asyncIdentity');

function asyncIdentity(): AsyncLocalStorage<string> | undefined {
  return (globalThis as Record<symbol, AsyncLocalStorage<string> | undefined>)[IDENTITY];
}

/**
 * Makes the calling actor known after `await`s in its handlers too (AsyncLocalStorage). Off
 * until the facade's queues, pipes or locks load in a thread: they need the caller (owner of a
 * lock, consumer of an item), and plain actor traffic should not pay for it.
 */
export function trackAsyncIdentity(): void {
  (globalThis as Record<symbol, AsyncLocalStorage<string> | undefined>)[IDENTITY] ??= new AsyncLocalStorage<string>();
}
(globalThis as Record<symbol, () => void>)[Symbol.for('troupe.trackAsyncIdentity')] ??= trackAsyncIdentity;

/** Messages one cell handles before the next ready cell gets its turn. */
const CELL_BUDGET = 256;
/** Messages handled per event-loop turn before the runtime yields to timers and I/O. */
const TURN_BUDGET = 20_000;

interface PendingAsk {
  to: string;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  timer: NodeJS.Timeout | undefined;
}

/** A reply in flight: to site `s`, request `r`. */
export interface ReplyEnvelope {
  a: { s: number; r: number };
  ok: boolean;
  v: unknown;
}

export abstract class Runtime {
  readonly cells = new Map<string, Cell>();
  private readonly pending = new Map<number, PendingAsk>();
  private nextRid = 1;
  /** the cell whose handler is running synchronously right now */
  private active: Cell | undefined;
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
    const previous = this.active;
    this.active = cell;
    try {
      const identity = asyncIdentity();
      return identity ? identity.run(cell.id, fn) : fn();
    } finally {
      this.active = previous;
    }
  }

  /** The actor (or Process) on whose behalf code runs: across awaits once asyncIdentity is on. */
  currentSender(): string | undefined {
    return this.active?.id ?? asyncIdentity()?.getStore() ?? this.defaultSender;
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

  // ---- messaging ------------------------------------------------------------------------------------

  send(to: string, msg: unknown, sender: string | undefined, transfer?: readonly unknown[]): void {
    const cell = this.cells.get(to);
    if (cell !== undefined) {
      cell.enqueue(sender === undefined ? { to, m: msg } : { to, m: msg, f: sender });
      return;
    }
    const envelope: Envelope = sender === undefined ? { to, m: msg } : { to, m: msg, f: sender };
    mark(envelope, classify(msg));
    if (transfer) envelope.x = 1;
    this.forward(envelope, transfer);
  }

  ask(to: string, msg: unknown, timeout: number, sender: string | undefined): Promise<unknown> {
    const cell = this.cells.get(to);
    let envelope: Envelope;
    if (cell === undefined) {
      envelope = { to, m: msg, a: { s: this.site, r: 0 } };
      try {
        mark(envelope, classify(msg));
      } catch (error) {
        return Promise.reject(error);
      }
    } else {
      envelope = { to, m: msg, a: { s: this.site, r: 0 } };
    }
    if (sender !== undefined) envelope.f = sender;
    const rid = this.nextRid++;
    envelope.a!.r = rid;
    const promise = new Promise<unknown>((resolve, reject) => {
      const pending: PendingAsk = { to, resolve, reject, timer: undefined };
      if (timeout !== Infinity && timeout !== null && timeout !== undefined) {
        pending.timer = setTimeout(() => {
          this.pending.delete(rid);
          reject(new AskTimeoutError(`ask to ${to} got no reply within ${timeout} ms; raise { timeout } or check that its handler calls ctx.reply()`));
        }, timeout);
      }
      this.pending.set(rid, pending);
    });
    if (cell !== undefined) cell.enqueue(envelope);
    else this.forward(envelope, undefined);
    return promise;
  }

  reply(to: { s: number; r: number }, ok: boolean, value: unknown): void {
    if (to.s === this.site) return this.settle(to.r, ok, value);
    const reply: ReplyEnvelope = { a: to, ok, v: ok ? value : serializeError(value) };
    if (ok) {
      try {
        checkCloneable(value, 'reply');
      } catch (error) {
        reply.ok = false;
        reply.v = serializeError(error);
      }
    }
    this.forwardReply(reply);
  }

  /** Settles a pending ask of this site (late replies to timed-out asks are dropped). */
  settle(rid: number, ok: boolean, value: unknown): void {
    const pending = this.pending.get(rid);
    if (pending === undefined) return;
    this.pending.delete(rid);
    if (pending.timer) clearTimeout(pending.timer);
    if (ok) pending.resolve(value);
    else pending.reject(reviveError(value));
  }

  /** Receives a reply posted by another site. */
  receiveReply(reply: ReplyEnvelope): void {
    this.settle(reply.a.r, reply.ok, reply.ok ? reviveHandles(reply.v, this) : reply.v);
  }

  /** Delivers an envelope that arrived from another thread to a local cell. */
  receive(envelope: Envelope): void {
    if (envelope.h === 1) envelope.m = reviveHandles(envelope.m, this);
    const cell = this.cells.get(envelope.to);
    if (cell === undefined) return this.deadLetter(envelope);
    cell.enqueue(envelope);
  }

  /** Rejects every pending ask whose target is among `ids` (their host died). */
  targetsDown(ids: ReadonlySet<string>): void {
    for (const [rid, pending] of this.pending) {
      if (!ids.has(pending.to)) continue;
      this.pending.delete(rid);
      if (pending.timer) clearTimeout(pending.timer);
      pending.reject(new NoProcError(`actor ${pending.to} was killed before it replied (its worker died)`));
    }
  }

  /** Rejects every pending ask (the runtime is going away). */
  rejectAllPending(error: Error): void {
    for (const [rid, pending] of this.pending) {
      this.pending.delete(rid);
      if (pending.timer) clearTimeout(pending.timer);
      pending.reject(error);
    }
  }

  get pendingCount(): number {
    return this.pending.size;
  }
}

function mark(envelope: Envelope, flags: number): void {
  if (flags & HAS_HANDLES) envelope.h = 1;
  if (flags & NOT_JSON) envelope.x = 1;
}

/**
 * Encodes a batch of envelopes. When every message is plain data the batch becomes one JSON
 * string, with runs of one-way messages between the same sender and target sharing one header:
 * `[[to, from, h, [m1, m2, ...]] | [to, from, h, m, site, rid], ...]` — far fewer bytes to clone.
 */
export function encodeBatch(envelopes: Envelope[]): Envelope[] | string {
  for (let i = 0; i < envelopes.length; i++) if (envelopes[i]!.x === 1) return envelopes;
  const groups: unknown[] = [];
  let run: unknown[] | undefined;
  let runTo: string | undefined;
  let runFrom: string | undefined;
  let runH = 0;
  for (let i = 0; i < envelopes.length; i++) {
    const e = envelopes[i]!;
    const h = e.h === 1 ? 1 : 0;
    if (e.a) {
      groups.push([e.to, e.f ?? 0, h, e.m, e.a.s, e.a.r]);
      run = undefined;
      continue;
    }
    if (run !== undefined && e.to === runTo && e.f === runFrom && h === runH) {
      run.push(e.m);
      continue;
    }
    run = [e.m];
    runTo = e.to;
    runFrom = e.f;
    runH = h;
    groups.push([e.to, e.f ?? 0, h, run]);
  }
  return JSON.stringify(groups);
}

export function decodeBatch(batch: Envelope[] | string): Envelope[] {
  if (typeof batch !== 'string') return batch;
  const groups = JSON.parse(batch) as Array<[string, string | 0, 0 | 1, unknown, number?, number?]>;
  const out: Envelope[] = [];
  for (const group of groups) {
    const [to, from, h] = group;
    if (group.length === 6) {
      const e: Envelope = { to, m: group[3], a: { s: group[4]!, r: group[5]! } };
      if (from !== 0) e.f = from;
      if (h === 1) e.h = 1;
      out.push(e);
      continue;
    }
    for (const m of group[3] as unknown[]) {
      const e: Envelope = from === 0 ? { to, m } : { to, m, f: from };
      if (h === 1) e.h = 1;
      out.push(e);
    }
  }
  return out;
}

/** A message addressed to nobody: answer an ask with NoProcError so it never hangs. */
export function noProcReply(runtime: Runtime, envelope: Envelope): void {
  if (envelope.a) runtime.reply(envelope.a, false, new NoProcError(`no actor ${envelope.to}: it has exited or never existed`));
}

