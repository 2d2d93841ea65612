/**
 * Queue, JoinableQueue and SimpleQueue, as in CPython's multiprocessing/queues.py (DESIGN §4.2).
 * A queue is a QueueServer actor in main (actors/queue-server.ts); a handle is plain data
 * `{ __troupe: 'queue', id, kind, maxsize, counts }` plus thread-local state under a symbol, so a
 * copy that lands in any thread works there. Sizes, the shutdown flag and unfinished tasks live in
 * the shared `counts` buffer: qsize()/empty()/full()/taskDone() are synchronous in every thread.
 */
import { FLAGS, SHUT_DOWN, SIZE, UNFINISHED, type QueueKind } from '../../actors/queue-server/protocol.js';
import { mainSystem } from '../default-system.js';
import { Full, OSError, ShutDown, ValueError } from '../errors.js';
import { classify, registerHandle } from '../handles.js';
import { currentRuntime } from '../kernel-call.js';
import { trackAsyncIdentity, type Runtime } from '../runtime.js';
import { blocking, Inbox, NONE, RESOLVED, startServer, WAITABLE, type BlockingOptions } from './queue-client.js';
import { describe } from '../describe.js';

export type { BlockingOptions };

// ---- handles ----------------------------------------------------------------------------------------

const LOCAL = Symbol('troupe.queue.local');

interface Local {
  runtime: Runtime;
  counts: Int32Array;
  inbox: Inbox;
  closed: boolean;
  /** this handle put an item (CPython started its feeder: after close(), empty() raises) */
  used: boolean;
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
      classify(item, 'the queue item');
      local.used = true;
      return local.inbox.ask({ type: 'putWait', item, timeout, site: local.runtime.site }).then(() => undefined);
    }
    let flags: number;
    try {
      flags = classify(item, 'the queue item');
    } catch (error) {
      if (this.maxsize > 0) Atomics.sub(counts, SIZE, 1);
      throw error;
    }
    local.used = true;
    if (this.maxsize <= 0) Atomics.add(counts, SIZE, 1);
    // UNFINISHED is counted by the server as the item arrives: a producer killed before its item
    // left the thread leaves no unfinished task behind for join() to wait on forever
    if (!local.inbox.putHere(0, item)) local.runtime.sendItem(this.id, 'putMany', undefined, item, flags);
    return RESOLVED;
  }

  protected getItem(block: boolean, timeout: number | null): Promise<unknown> {
    const local = this.open();
    const item = local.inbox.take();
    if (item !== NONE) return Promise.resolve(item);
    return local.inbox.receive({ type: 'get', channel: 0, block, timeout, site: local.runtime.site });
  }

  /**
   * True if the queue holds no item (a snapshot, exact once puts and gets have settled). After
   * close(), OSError on a handle that has put an item (CPython's reader is closed then).
   */
  empty(): boolean {
    const local = this.local();
    if (local.closed && (local.used || this.kind === 'simple')) throw new OSError('handle is closed: close() was called on this queue handle', 'closed');
    return Atomics.load(local.counts, SIZE) <= 0;
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

function attach(handle: QueueHandle, data: QueueData, runtime: Runtime): QueueHandle {
  // consumers are known by who calls get(), also after an await in an actor's handler
  trackAsyncIdentity();
  Object.assign(handle, data);
  const counts = new Int32Array(data.counts);
  const local: Local = { runtime, counts, inbox: new Inbox(runtime, data.id, counts, 0, data.maxsize > 0), closed: false, used: false };
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
    if (typeof maxsize !== 'number' || Number.isNaN(maxsize)) throw new ValueError(`Queue(maxsize) takes a number (got ${describe(maxsize)})`);
    super(new.target === JoinableQueue ? 'joinable' : 'queue', Math.floor(maxsize));
  }

  protected closedError(): Error {
    return new ValueError(`Queue ${this.id} is closed: close() was called on this handle; use another handle to reach the queue`);
  }

  /** Puts `item`; with a bounded queue, blocks while full (rejects Full after `timeout` ms). */
  put(item: T, options?: BlockingOptions): Promise<void> {
    if (options === undefined) {
      // the hot path of a producer loop: no closure
      try {
        return this.putItem(item, true, null);
      } catch (error) {
        return Promise.reject(error);
      }
    }
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
    if (options === undefined) {
      try {
        return this.getItem(true, null) as Promise<T>;
      } catch (error) {
        return Promise.reject(error);
      }
    }
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
 * such as the mailbox of a Process that has ended.
 */
export function releaseQueue(queue: QueueHandle): Promise<void> {
  return mainSystem().stopActor(queue.id, { kind: 'normal' });
}
