/**
 * The client side of a queue server, shared by Queue and Pipe handles: blocking options and
 * timeouts, the Inbox that takes the items of a delivered batch one by one with atomic steps (so
 * the server can take back what was not taken), and starting servers from any thread. Puts and
 * pipe sends leave through the thread's runtime in issue order with everything else it sends
 * (`Runtime.sendItem`: consecutive ones merge into one message, never overtaking another).
 */
import { nanoid } from 'nanoid';
import { newId } from '../id.js';
import { claim, peekClaim } from '../../actors/queue-server/claims.js';
import { QUEUE_SERVERS } from '../../actors/queue-server/extension.js';
import { COUNT_WORDS, PUTTERS, SIZE, type Delivery, type QueueKind, type ServerConfig, type ToServer } from '../../actors/queue-server/protocol.js';
import { mainSystem } from '../default-system.js';
import { ValueError } from '../errors.js';
import { extensionCall, inWorker } from '../kernel-call.js';
import type { Runtime } from '../runtime.js';
import type { QueueState } from '../../actors/queue-server/queue-state.js';
import { serverHere } from './server-here.js';
import { describe } from '../describe.js';

/** How put()/get() wait: `block: false` never waits; `timeout` in ms (null waits forever). */
export interface BlockingOptions {
  block?: boolean;
  /** ms; null/undefined waits forever */
  timeout?: number | null;
}

/** A get, as the handles send it. */
type GetMessage = Extract<ToServer, { type: 'get' }>;

/** Whom the server knows a getter in main's own code by (it never goes down). */
const HERE = '@here';

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

function describeTimeout(timeout: unknown): string {
  return typeof timeout === 'number' ? String(timeout) : describe(timeout);
}

/**
 * A timeout in ms for Queue get/put: null (forever) or a non-negative number (Python's
 * `'timeout' must be a non-negative number`).
 */
export function checkTimeout(timeout: unknown, what: string): number | null {
  if (timeout === undefined || timeout === null) return null;
  if (typeof timeout !== 'number' || Number.isNaN(timeout) || timeout < 0) {
    throw new ValueError(`${what}: timeout must be a non-negative number of milliseconds, or null to wait forever (got ${describeTimeout(timeout)})`);
  }
  return timeout > MAX_TIMER ? null : timeout;
}

/** A timeout in ms for join, wait, poll and the like: null (forever); negative means 0 (Python). */
export function waitTimeout(timeout: unknown, what: string): number | null {
  if (timeout === undefined || timeout === null) return null;
  if (typeof timeout !== 'number' || Number.isNaN(timeout)) {
    throw new ValueError(`${what}: timeout must be a number of milliseconds, or null to wait forever (got ${describeTimeout(timeout)})`);
  }
  return timeout > MAX_TIMER ? null : Math.max(0, timeout);
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

// ---- the receiving side of one channel -------------------------------------------------------------

interface LocalBatch {
  batch: number;
  items: unknown[];
  words: Int32Array;
  slot: number;
  generation: number;
}

/**
 * What one handle has received from one channel of a server: the batches it may take items from
 * (claimed one at a time, see claims.ts; several when gets run concurrently), and the asks that
 * fetch the next batch.
 */
export class Inbox {
  private batches: LocalBatch[] = [];
  /** the server's state when it runs beside this handle (main), see server-here.ts */
  private near: QueueState | undefined;
  /** this handle is in a worker: its server is never beside it */
  private readonly far: boolean;

  constructor(
    private readonly runtime: Runtime,
    private readonly id: string,
    private readonly counts: Int32Array,
    private readonly channel: number,
    private readonly bounded: boolean,
  ) {
    this.far = inWorker();
  }

  private here(): QueueState | undefined {
    const near = this.near;
    if (near !== undefined && !near.stopped) return near;
    if (this.far || near !== undefined) return undefined;
    return (this.near = serverHere(this.runtime, this.id));
  }

  /** Puts `item` into channel `c` now if the server runs beside this handle with nothing queued. */
  putHere(c: number, item: unknown): boolean {
    const server = this.here();
    if (server === undefined || !this.runtime.idle(this.id)) return false;
    server.put(c, [item]);
    return true;
  }

  /** The next item of the local batches without taking it, or NONE. */
  peek(): unknown {
    while (this.batches.length > 0) {
      const batch = this.batches[0]!;
      const t = peekClaim(batch.words, batch.slot, batch.generation, batch.items.length);
      if (t >= 0) return batch.items[t];
      this.batches.shift();
    }
    return NONE;
  }

  /** Takes the next item of the local batches (it is ours from now on), or NONE. */
  take(): unknown {
    while (this.batches.length > 0) {
      const batch = this.batches[0]!;
      const i = claim(batch.words, batch.slot, batch.generation, batch.items.length);
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

  /**
   * Takes the next item once the local batches are used up (the caller's take() found none): from
   * the server beside this handle when main's own code asks (server-here.ts), else by message.
   */
  receive(msg: GetMessage): Promise<unknown> {
    const server = this.here();
    if (server !== undefined && this.runtime.currentSender() === undefined && ((msg.block && msg.timeout === null) || this.runtime.idle(this.id))) {
      return new Promise((resolve, reject) => server.get(this.channel, HERE, msg.block, msg.timeout, (ok, value) => (ok ? resolve(value) : reject(value)), true));
    }
    return this.fetch(msg);
  }

  /** receive() by message: asks the server for a batch until one holds an item not taken meanwhile. */
  private async fetch(msg: GetMessage): Promise<unknown> {
    for (;;) {
      const delivery = (await this.ask(msg)) as Delivery;
      this.batches.push({
        batch: delivery.batch,
        items: delivery.items,
        words: delivery.page ? new Int32Array(delivery.page) : this.counts,
        slot: delivery.slot,
        generation: delivery.generation,
      });
      const item = this.take();
      if (item !== NONE) return item;
    }
  }

  /** Hands what this handle has not taken back to the server (the handle is closing). */
  giveBack(): void {
    for (const batch of this.batches) {
      if (peekClaim(batch.words, batch.slot, batch.generation, batch.items.length) >= 0) this.send({ type: 'giveBack', batch: batch.batch });
    }
    this.batches = [];
  }

  /** Resolves true once a receive would not block (an item, EOF or shutdown); cancellable. */
  poll(timeout: number | null): { ready: Promise<boolean>; cancel(): void } {
    if (this.hasLocal || Atomics.load(this.counts, SIZE + this.channel) > 0) return { ready: Promise.resolve(true), cancel: () => {} };
    const tag = pollTag(this.runtime);
    const ready = this.ask({ type: 'poll', channel: this.channel, timeout, site: this.runtime.site, tag }) as Promise<boolean>;
    return { ready, cancel: () => this.send({ type: 'cancel', tag }) };
  }

  send(msg: ToServer): void {
    this.runtime.send(this.id, msg, this.runtime.currentSender());
  }

  ask(msg: ToServer): Promise<unknown> {
    return this.runtime.ask(this.id, msg, Infinity, this.runtime.currentSender());
  }
}

// ---- creating servers ----------------------------------------------------------------------------

/**
 * Starts a queue server from any thread and returns its id at once: in main the server starts
 * synchronously; in a worker the id is chosen here and main starts the server under it before
 * any later message of this thread (one ordered control port).
 */
export function startServer(kind: QueueKind, maxsize: number, pipe?: ServerConfig['pipe']): { id: string; counts: SharedArrayBuffer } {
  const counts = new SharedArrayBuffer(COUNT_WORDS * 4);
  const config: ServerConfig = { kind, maxsize, counts, pipe };
  if (!inWorker()) return { id: mainSystem().extension(QUEUE_SERVERS).start(config), counts };
  const id = newId();
  extensionCall(QUEUE_SERVERS, 'create', [id, config]).catch(() => {});
  return { id, counts };
}
