/**
 * Queue, JoinableQueue and SimpleQueue, as in CPython's multiprocessing/queues.py (DESIGN §4.2).
 * A queue is a QueueServer actor in main (actors/queue-server.ts); a handle is plain data
 * `{ __troupe: 'queue', id, kind, maxsize, counts }` plus thread-local state under a symbol, so a
 * copy that lands in any thread works there. Sizes, the shutdown flag and unfinished tasks live in
 * the shared `counts` buffer: qsize()/empty()/full()/taskDone() are synchronous in every thread.
 */
import { nanoid } from 'nanoid';
import {
  claim,
  COUNT_WORDS,
  peekClaim,
  FLAGS,
  PUTTERS,
  QueueServer,
  SHUT_DOWN,
  SIZE,
  UNFINISHED,
  type Delivery,
  type QueueKind,
  type ServerConfig,
  type ToServer,
} from '../../actors/queue-server.js';
import { mainSystem } from '../default-system.js';
import { Full, OSError, RuntimeError, ShutDown, ValueError } from '../errors.js';
import { checkCloneable, registerHandle } from '../handles.js';
import { currentRuntime, inWorker, kernelCall } from '../kernel-call.js';
import { trackAsyncIdentity, type Runtime } from '../runtime.js';
import type { SystemImpl } from '../system.js';
import { setMailboxFactory } from './process.js';

/** How put()/get() wait: `block: false` never waits; `timeout` in ms (null waits forever). */
export interface BlockingOptions {
  block?: boolean;
  /** ms; null/undefined waits forever */
  timeout?: number | null;
}

/** Marks "no item" in the local batch (items themselves may be undefined). */
export const NONE: unique symbol = Symbol('troupe.none');
/** `wait()` support: objects with this method can report readiness (see wait.ts). */
export const WAITABLE: unique symbol = Symbol('troupe.waitable');

/** What wait() needs from an object: a cancellable readiness report. */
export interface Waitable {
  [WAITABLE](): { ready: Promise<boolean>; cancel(): void };
}

const RESOLVED: Promise<void> = Promise.resolve();
const MAX_TIMER = 0x7fffffff;

/** Validates a timeout in ms: null (forever) or a non-negative number. */
export function checkTimeout(timeout: unknown, what: string): number | null {
  if (timeout === undefined || timeout === null) return null;
  if (typeof timeout !== 'number' || Number.isNaN(timeout) || timeout < 0) {
    throw new ValueError(`${what}: timeout must be a non-negative number of milliseconds, or null to wait forever (got ${String(timeout)})`);
  }
  return timeout > MAX_TIMER ? null : timeout;
}

function blocking(options: BlockingOptions | undefined, what: string): { block: boolean; timeout: number | null } {
  if (options === undefined) return { block: true, timeout: null };
  if (typeof options !== 'object' || options === null) {
    throw new ValueError(`${what} takes an options object { block?, timeout? }: Python's get(False) is get({ block: false })`);
  }
  const block = options.block ?? true;
  const timeout = checkTimeout(options.timeout, what);
  return { block: block !== false, timeout: block === false ? 0 : timeout };
}

let nextTag = 0;
const TAG_PREFIX = nanoid(6);
/** A tag unique in this process, to cancel a parked poll. */
export function pollTag(runtime: Runtime): string {
  return `${TAG_PREFIX}.${runtime.site}.${++nextTag}`;
}

// ---- the sending side: one feeder per thread and server ------------------------------------------

/** Most items one putMany/sendMany message carries. */
const MAX_OUT = 512;
const feeders = new Map<string, Feeder>();

/**
 * Coalesces the puts (or pipe sends) this thread makes to one server in a burst — `for (...) await
 * q.put(x)` becomes one message per 512 items instead of one per item — and sends them before any
 * other message of this thread to that server, so order holds. A burst ends when the thread's
 * microtasks have drained (process.nextTick runs then). A put that comes after a pause (not in
 * the same millisecond as the previous one) leaves at once, so a producer that computes between
 * puts is never held back by its own synchronous work.
 */
export class Feeder {
  private batch: unknown[] = [];
  private end = -1;
  private sender: string | undefined;
  private scheduled = false;
  private last = 0;

  private constructor(
    private readonly runtime: Runtime,
    private readonly id: string,
  ) {}

  static of(runtime: Runtime, id: string): Feeder {
    let feeder = feeders.get(id);
    // a pooled worker runs one Process after another, each with a runtime of its own
    if (!feeder || feeder.runtime !== runtime) {
      if (feeders.size >= 64) Feeder.sweep();
      feeder = new Feeder(runtime, id);
      feeders.set(id, feeder);
    }
    return feeder;
  }

  /** Idle feeders leave the table (a thread may talk to many short-lived queues). */
  private static sweep(): void {
    const old = Date.now() - 1000;
    for (const [id, feeder] of feeders) {
      if (!feeder.scheduled && feeder.batch.length === 0 && feeder.last < old) feeders.delete(id);
    }
  }

  /** Queues an item: a queue put (end -1) or a pipe send from `end`. */
  push(end: number, item: unknown): void {
    const sender = this.runtime.currentSender();
    if (this.batch.length > 0 && (end !== this.end || sender !== this.sender)) this.flush();
    this.end = end;
    this.sender = sender;
    this.batch.push(item);
    const now = Date.now();
    const sparse = now !== this.last;
    this.last = now;
    if ((sparse && !this.scheduled) || this.batch.length >= MAX_OUT) return this.flush();
    if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(this.endOfBurst);
    }
  }

  private readonly endOfBurst = (): void => {
    this.scheduled = false;
    this.flush();
  };

  flush(): void {
    if (this.batch.length === 0) return;
    const v = this.batch;
    this.batch = [];
    const msg: ToServer = this.end < 0 ? { type: 'putMany', v } : { type: 'sendMany', e: this.end, v, s: this.runtime.site };
    try {
      this.runtime.send(this.id, msg, this.sender);
    } catch (error) {
      // every item was checked when it was put; this runs from a microtask, so report, never throw
      this.runtime.log.error({ err: error, queue: this.id, items: v.length }, 'queue items could not be sent to the main thread');
    }
  }

  send(msg: ToServer): void {
    this.flush();
    this.runtime.send(this.id, msg, this.runtime.currentSender());
  }

  ask(msg: ToServer): Promise<unknown> {
    this.flush();
    return this.runtime.ask(this.id, msg, Infinity, this.runtime.currentSender());
  }

}

/** Flushes every feeder of this thread (a Process is about to end: nothing may stay behind). */
export function flushFeeders(): void {
  for (const feeder of [...feeders.values()]) feeder.flush();
}
(globalThis as Record<symbol, unknown>)[Symbol.for('troupe.flushQueueFeeders')] ??= flushFeeders;

// ---- the receiving side of one channel -------------------------------------------------------------

interface LocalBatch {
  b: number;
  items: unknown[];
  words: Int32Array;
  slot: number;
  gen: number;
}

/**
 * What one handle has received from one channel of a server: the batches it may take items from
 * (claimed one at a time, see `claim`; several when gets run concurrently), and the asks that
 * fetch the next batch.
 */
export class Inbox {
  private batches: LocalBatch[] = [];

  constructor(
    private readonly runtime: Runtime,
    private readonly id: string,
    private readonly counts: Int32Array,
    private readonly channel: number,
    private readonly bounded: boolean,
  ) {}

  /** The next item of the local batches without taking it, or NONE. */
  peek(): unknown {
    while (this.batches.length > 0) {
      const batch = this.batches[0]!;
      const t = peekClaim(batch.words, batch.slot, batch.gen, batch.items.length);
      if (t >= 0) return batch.items[t];
      this.batches.shift();
    }
    return NONE;
  }

  /** Takes the next item of the local batches (it is ours from now on), or NONE. */
  take(): unknown {
    while (this.batches.length > 0) {
      const batch = this.batches[0]!;
      const i = claim(batch.words, batch.slot, batch.gen, batch.items.length);
      if (i < 0) {
        this.batches.shift();
        continue;
      }
      const item = batch.items[i];
      batch.items[i] = undefined;
      if (i === batch.items.length - 1) this.batches.shift();
      Atomics.sub(this.counts, SIZE + this.channel, 1);
      if (this.bounded && Atomics.load(this.counts, PUTTERS) !== 0) this.send({ type: 'taken' });
      return item;
    }
    return NONE;
  }

  get hasLocal(): boolean {
    return this.peek() !== NONE;
  }

  /** Asks the server until an item is in the local batches (the server may answer with an error). */
  async fetch(msg: ToServer): Promise<void> {
    while (this.peek() === NONE) {
      const delivery = (await this.ask(msg)) as Delivery;
      this.batches.push({
        b: delivery.b,
        items: delivery.v,
        words: delivery.p ? new Int32Array(delivery.p) : this.counts,
        slot: delivery.w,
        gen: delivery.g,
      });
    }
  }

  /** Takes the next item, asking the server when the local batches are used up. */
  async receive(msg: ToServer): Promise<unknown> {
    for (;;) {
      await this.fetch(msg);
      const item = this.take();
      if (item !== NONE) return item;
    }
  }

  /** Hands what this handle has not taken back to the server (the handle is closing). */
  giveBack(): void {
    for (const batch of this.batches) {
      if (peekClaim(batch.words, batch.slot, batch.gen, batch.items.length) >= 0) this.send({ type: 'ret', b: batch.b });
    }
    this.batches = [];
  }

  /** Resolves true once a receive would not block (an item, EOF or shutdown); cancellable. */
  poll(timeout: number | null, extra: { e?: number } = {}): { ready: Promise<boolean>; cancel(): void } {
    if (this.hasLocal || Atomics.load(this.counts, SIZE + this.channel) > 0) return { ready: Promise.resolve(true), cancel: () => {} };
    const tag = pollTag(this.runtime);
    const ready = this.ask({ type: 'poll', c: this.channel, timeout, s: this.runtime.site, tag, ...extra }) as Promise<boolean>;
    return { ready, cancel: () => this.send({ type: 'cancel', tag }) };
  }

  send(msg: ToServer): void {
    Feeder.of(this.runtime, this.id).send(msg);
  }

  ask(msg: ToServer): Promise<unknown> {
    return Feeder.of(this.runtime, this.id).ask(msg);
  }
}

// ---- creating servers ----------------------------------------------------------------------------

const withOps = new WeakSet<SystemImpl>();

/** Lets workers of `system` create queues and pipes (the `queue.create` kernel op). */
export function ensureQueueOps(system: SystemImpl): void {
  if (withOps.has(system)) return;
  withOps.add(system);
  system.defineOp('queue.create', ([name, config]) => {
    spawnServer(system, config as ServerConfig, name as string);
    return null;
  });
}

function spawnServer(system: SystemImpl, config: ServerConfig, name?: string): string {
  const box: { id?: string } = {};
  // placement 'main' with a synchronous init starts the cell before spawn() returns
  system.spawn(QueueServer, { placement: 'main', name, args: [config, box] }).catch(() => {});
  if (box.id === undefined) {
    throw new RuntimeError(
      system.closed
        ? `cannot create a ${config.kind}: system ${system.name} has shut down; create it before shutdown() or in a new system`
        : `the ${config.kind} server did not start synchronously; the kernel's spawn with placement 'main' must run init before returning`,
    );
  }
  return box.id;
}

const creationErrors = new Map<string, unknown>();

/**
 * Starts a queue server from any thread and returns its id at once: in main the server starts
 * synchronously; in a worker it is named here and started by a kernel op that main runs before
 * any later message of this thread (one ordered control port).
 */
export function startServer(kind: QueueKind, maxsize: number, owner?: ServerConfig['owner']): { id: string; counts: SharedArrayBuffer } {
  const counts = new SharedArrayBuffer(COUNT_WORDS * 4);
  const config: ServerConfig = { kind, maxsize, counts, owner };
  if (!inWorker()) {
    const system = mainSystem();
    ensureQueueOps(system);
    return { id: spawnServer(system, config), counts };
  }
  const name = `troupe.${kind}.${nanoid()}`;
  const id = `name:${name}`;
  kernelCall('queue.create', [name, config]).catch((error: unknown) => {
    creationErrors.set(id, new RuntimeError(`this ${kind} could not be created in the main thread: ${String((error as Error)?.message ?? error)}`, { cause: error }));
  });
  return { id, counts };
}

// ---- handles ----------------------------------------------------------------------------------------

const LOCAL = Symbol('troupe.queue.local');

interface Local {
  runtime: Runtime;
  counts: Int32Array;
  inbox: Inbox;
  closed: boolean;
}

interface QueueData {
  __troupe: 'queue';
  id: string;
  kind: Exclude<QueueKind, 'pipe'>;
  maxsize: number;
  counts: SharedArrayBuffer;
}

/** Shared machinery of Queue and SimpleQueue (not exported from the package). */
export abstract class QueueHandle {
  declare readonly __troupe: 'queue';
  declare readonly id: string;
  declare readonly kind: Exclude<QueueKind, 'pipe'>;
  declare readonly maxsize: number;
  declare readonly counts: SharedArrayBuffer;
  declare [LOCAL]: Local;

  protected constructor(kind: Exclude<QueueKind, 'pipe'>, maxsize: number) {
    const { id, counts } = startServer(kind, maxsize);
    attach(this, { __troupe: 'queue', id, kind, maxsize, counts }, currentRuntime());
  }

  protected local(): Local {
    const error = creationErrors.get(this.id);
    if (error) throw error;
    return this[LOCAL];
  }

  protected abstract closedError(): Error;

  protected open(): Local {
    const local = this.local();
    if (local.closed) throw this.closedError();
    return local;
  }

  protected putItem(item: unknown, block: boolean, timeout: number | null): Promise<void> {
    const local = this.open();
    const counts = local.counts;
    if ((Atomics.load(counts, FLAGS) & SHUT_DOWN) !== 0) throw new ShutDown('the queue was shut down; put() is no longer possible');
    if (this.maxsize > 0 && !reserve(counts, this.maxsize)) {
      if (!block) throw new Full(`the queue is full (maxsize ${this.maxsize})`);
      checkItem(item);
      return local.inbox.ask({ type: 'putWait', v: item, timeout, s: local.runtime.site }).then(() => undefined);
    }
    try {
      checkItem(item);
    } catch (error) {
      if (this.maxsize > 0) Atomics.sub(counts, SIZE, 1);
      throw error;
    }
    Feeder.of(local.runtime, this.id).push(-1, item);
    if (this.maxsize <= 0) Atomics.add(counts, SIZE, 1);
    if (this.kind === 'joinable') Atomics.add(counts, UNFINISHED, 1);
    return RESOLVED;
  }

  protected getItem(block: boolean, timeout: number | null): Promise<unknown> {
    const local = this.open();
    const item = local.inbox.take();
    if (item !== NONE) return Promise.resolve(item);
    return local.inbox.receive({ type: 'get', c: 0, block, timeout, s: local.runtime.site });
  }

  /** True if the queue holds no item (a snapshot, exact once puts and gets have settled). */
  empty(): boolean {
    return Atomics.load(this.local().counts, SIZE) <= 0;
  }

  [WAITABLE](): { ready: Promise<boolean>; cancel(): void } {
    return this.open().inbox.poll(null);
  }

  toString(): string {
    return `<${this.constructor.name} ${this.id}>`;
  }
}

function reserve(counts: Int32Array, maxsize: number): boolean {
  for (;;) {
    const size = Atomics.load(counts, SIZE);
    if (size >= maxsize) return false;
    if (Atomics.compareExchange(counts, SIZE, size, size + 1) === size) return true;
  }
}

/** Puts are batched, so what the kernel would reject later is checked now, at the put. */
function checkItem(item: unknown): void {
  checkCloneable(item, 'the queue item');
}

function attach(handle: QueueHandle, data: QueueData, runtime: Runtime): QueueHandle {
  // consumers are known by who calls get(), also after an await in an actor's handler
  trackAsyncIdentity();
  Object.assign(handle, data);
  const counts = new Int32Array(data.counts);
  const local: Local = { runtime, counts, inbox: new Inbox(runtime, data.id, counts, 0, data.maxsize > 0), closed: false };
  Object.defineProperty(handle, LOCAL, { value: local, enumerable: false });
  return handle;
}

function settle<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return fn();
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * A multi-producer, multi-consumer FIFO queue shared by processes and actors (Python's
 * `multiprocessing.Queue`). Items live in the main thread: a worker's death loses none, and an
 * item handed to a consumer that died before taking it goes back to the head of the queue.
 *
 * @example const q = new Queue<number>(); await q.put(1); await q.get(); // 1
 */
export class Queue<T = unknown> extends QueueHandle {
  /** `maxsize` ≤ 0 means unbounded. */
  constructor(maxsize = 0) {
    if (typeof maxsize !== 'number' || Number.isNaN(maxsize)) throw new ValueError(`Queue(maxsize) takes a number (got ${String(maxsize)})`);
    super(new.target === JoinableQueue ? 'joinable' : 'queue', Math.floor(maxsize));
  }

  protected closedError(): Error {
    return new ValueError(`Queue ${this.id} is closed: close() was called on this handle; use another handle to reach the queue`);
  }

  /** Puts `item`; with a bounded queue, blocks while full (rejects Full after `timeout` ms). */
  put(item: T, options?: BlockingOptions): Promise<void> {
    return settle(() => {
      const { block, timeout } = blocking(options, 'put()');
      return this.putItem(item, block, timeout);
    });
  }

  /** Puts `item` or rejects Full at once. */
  putNowait(item: T): Promise<void> {
    return settle(() => this.putItem(item, false, 0));
  }

  /** Removes and returns the next item; blocks while empty (rejects Empty after `timeout` ms). */
  get(options?: BlockingOptions): Promise<T> {
    return settle(() => {
      const { block, timeout } = blocking(options, 'get()');
      return this.getItem(block, timeout) as Promise<T>;
    });
  }

  /** Returns the next item or rejects Empty at once. */
  getNowait(): Promise<T> {
    return settle(() => this.getItem(false, 0) as Promise<T>);
  }

  /** The approximate number of items (exact once puts and gets have settled). */
  qsize(): number {
    return Math.max(0, Atomics.load(this.local().counts, SIZE));
  }

  full(): boolean {
    return this.maxsize > 0 && this.qsize() >= this.maxsize;
  }

  /**
   * This handle will put and get no more (later calls reject ValueError); other handles of the
   * same queue, in this or other processes, are not affected.
   */
  close(): void {
    const local = this.local();
    if (local.closed) return;
    local.closed = true;
    local.inbox.giveBack();
  }

  /** Kept for porting: items live in the main thread, so there is no feeder thread to join. */
  joinThread(): void {}

  /** Kept for porting: a no-op (nothing to flush, see joinThread). */
  cancelJoinThread(): void {}

  /**
   * Python 3.13's shutdown: later puts reject ShutDown, gets drain what is left then reject
   * ShutDown; `immediate` drops the rest (counted as done for join()). Wakes every blocked caller.
   */
  shutdown(immediate = false): Promise<void> {
    return settle(() => this.local().inbox.ask({ type: 'shutdown', immediate: immediate === true }).then(() => undefined));
  }
}

/** A Queue whose consumers confirm each item with taskDone(); join() waits until all are done. */
export class JoinableQueue<T = unknown> extends Queue<T> {
  constructor(maxsize = 0) {
    super(maxsize);
  }

  /** Marks one item as processed; ValueError if called more times than items were put. */
  taskDone(): void {
    const local = this.local();
    for (;;) {
      const unfinished = Atomics.load(local.counts, UNFINISHED);
      if (unfinished <= 0) throw new ValueError('taskDone() called too many times (more than items put on the queue)');
      if (Atomics.compareExchange(local.counts, UNFINISHED, unfinished, unfinished - 1) !== unfinished) continue;
      if (unfinished === 1) local.inbox.send({ type: 'done' });
      return;
    }
  }

  /** Resolves once every item put so far has been matched by a taskDone(). */
  join(): Promise<void> {
    return settle(() => this.local().inbox.ask({ type: 'join' }).then(() => undefined));
  }
}

/** An unbounded queue with get/put/empty/close only (Python's `multiprocessing.SimpleQueue`). */
export class SimpleQueue<T = unknown> extends QueueHandle {
  constructor() {
    super('simple', 0);
  }

  protected closedError(): Error {
    return new OSError('handle is closed: close() was called on this SimpleQueue handle', 'closed');
  }

  get(): Promise<T> {
    return settle(() => this.getItem(true, null) as Promise<T>);
  }

  put(item: T): Promise<void> {
    return settle(() => this.putItem(item, true, null));
  }

  close(): void {
    const local = this.local();
    if (local.closed) return;
    local.closed = true;
    local.inbox.giveBack();
  }
}

const classes = { queue: Queue, joinable: JoinableQueue, simple: SimpleQueue } as const;

registerHandle('queue', (data: QueueData, runtime) => attach(Object.create(classes[data.kind].prototype) as QueueHandle, data, runtime));

/**
 * Stops the server behind a queue (main thread): its items are dropped and every later or
 * pending operation on any handle of it rejects NoProcError. For owners of short-lived queues,
 * such as the mailbox of a Process that has been joined.
 */
export function releaseQueue(queue: QueueHandle): Promise<void> {
  return mainSystem().stopActor(queue.id, { kind: 'normal' });
}

/** A new unbounded (or bounded) Queue from main-thread code, e.g. a Process's mailbox. */
export function createQueue<T = unknown>(maxsize = 0): Queue<T> {
  return new Queue<T>(maxsize);
}

if (!inWorker()) {
  ensureQueueOps(mainSystem());
  setMailboxFactory(() => createQueue(), (mailbox) => releaseQueue(mailbox as QueueHandle));
}
