/**
 * The client side of a queue server, shared by Queue and Pipe handles: one Feeder per thread and
 * server batches puts (flushed at the end of the tick, and when a Process ends); an Inbox takes
 * the items of a delivered batch one by one with atomic steps, so the server can take back what
 * was not taken; and servers are started from any thread (a kernel op when in a worker).
 */
import { nanoid } from 'nanoid';
import {
  claim,
  COUNT_WORDS,
  peekClaim,
  PUTTERS,
  QueueServer,
  SIZE,
  type Delivery,
  type QueueKind,
  type ServerConfig,
  type ToServer,
} from '../../actors/queue-server.js';
import { mainSystem } from '../default-system.js';
import { RuntimeError, ValueError } from '../errors.js';
import { inWorker, kernelCall } from '../kernel-call.js';
import type { Runtime } from '../runtime.js';
import type { SystemImpl } from '../system.js';

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

export const RESOLVED: Promise<void> = Promise.resolve();
const MAX_TIMER = 0x7fffffff;

/** Validates a timeout in ms: null (forever) or a non-negative number. */
export function checkTimeout(timeout: unknown, what: string): number | null {
  if (timeout === undefined || timeout === null) return null;
  if (typeof timeout !== 'number' || Number.isNaN(timeout) || timeout < 0) {
    throw new ValueError(`${what}: timeout must be a non-negative number of milliseconds, or null to wait forever (got ${String(timeout)})`);
  }
  return timeout > MAX_TIMER ? null : timeout;
}

export function blocking(options: BlockingOptions | undefined, what: string): { block: boolean; timeout: number | null } {
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

export const creationErrors = new Map<string, unknown>();

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
