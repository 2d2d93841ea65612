/**
 * One queue server's state: the items of each channel (one for a queue, two for a pipe: channel e
 * holds what end 1-e sent), parked getters, pollers, putters and joiners, the batches handed out,
 * the pipe's end copies, and who to watch (consumers and holders: actors by monitor, anonymous
 * thread code `@site` by its host's end). Nothing a consumer has not taken is ever lost: when it
 * goes away, its items return to the head of their channel in order.
 */
import { EOFError, Empty, Full, NoProcError, ShutDown } from '../../src/errors.js';
import type { ActorContext, ActorRef } from '../../src/types.js';
import { Batches } from './batches.js';
import { Deque } from './deque.js';
import { PipeEnds } from './pipe-ends.js';
import { FLAGS, IMMEDIATE, MAX_BATCH, PUTTERS, SHUT_DOWN, SIZE, UNFINISHED, type Delivery, type QueueKind, type ServerConfig } from './protocol.js';

export type Reply = (ok: boolean, value: unknown) => void;

/** What every server of a system shares: the live set, and a way to read the workers' rings now. */
export interface ServerRegistry {
  /** the live servers by id (main's own code reaches them directly: see src/multiprocessing/server-here.ts) */
  readonly live: Map<string, QueueState>;
  readonly readRings: () => void;
}

export interface Waiter {
  reply: Reply;
  key: string;
  poll: boolean;
  /** a getter in main's own code: answered with the item itself, no batch (see get) */
  here?: boolean;
  tag?: string;
  timer?: NodeJS.Timeout;
}

interface Putter {
  reply: Reply;
  key: string;
  item: unknown;
  timer?: NodeJS.Timeout;
}

class Channel {
  readonly items = new Deque();
  waiters: Waiter[] = [];
}

/** Anonymous callers (thread code outside any actor) are keyed `@site`. */
export const isAnonymous = (key: string): boolean => key.charCodeAt(0) === 64; /* '@' */

export class QueueState {
  readonly kind: QueueKind;
  readonly maxsize: number;
  readonly counts: Int32Array;
  readonly channels: Channel[];
  readonly batches: Batches;
  readonly pipe: PipeEnds | undefined;
  /** every key watched: consumers and holders (actors monitored, `@site` until its host ends) */
  private readonly watched = new Set<string>();
  putters: Putter[] = [];
  joiners: Reply[] = [];
  /** the server stopped: main's own code goes back to messages (which then find it gone) */
  stopped = false;

  constructor(
    config: ServerConfig,
    ctx: ActorContext,
    /** reads every worker's ring now (what was sent before a join arrives before it is decided) */
    readonly readRings: () => void,
  ) {
    this.kind = config.kind;
    this.maxsize = config.kind === 'queue' || config.kind === 'joinable' ? Math.max(0, config.maxsize) : 0;
    this.counts = new Int32Array(config.counts);
    this.channels = config.kind === 'pipe' ? [new Channel(), new Channel()] : [new Channel()];
    this.batches = new Batches(this.counts);
    if (config.pipe) {
      this.pipe = new PipeEnds(this.counts, config.pipe);
      this.watch(ctx, config.pipe.holder);
    }
  }

  get shutDown(): boolean {
    return this.kind !== 'pipe' && (Atomics.load(this.counts, FLAGS) & SHUT_DOWN) !== 0;
  }

  // ---- who to watch ---------------------------------------------------------------------------

  keyOf(ctx: ActorContext, site: number): string {
    const sender = ctx.sender;
    return sender ? sender.id : `@${site}`;
  }

  watch(ctx: ActorContext, key: string): void {
    if (this.watched.has(key)) return;
    this.watched.add(key);
    if (!isAnonymous(key)) ctx.monitor({ id: key } as ActorRef);
  }

  /** A consumer or holder went away: its items go back to the head, its waits end, its copies close. */
  down(key: string): void {
    if (!this.watched.delete(key)) return;
    const back = this.batches.revokeAll(key, this.channels.length);
    this.channels.forEach((channel, c) => {
      if (back[c]!.length > 0) channel.items.unshiftAll(back[c]!);
      channel.waiters = channel.waiters.filter((waiter) => {
        if (waiter.key !== key) return true;
        if (waiter.timer) clearTimeout(waiter.timer);
        waiter.reply(false, new NoProcError(`the consumer ${key} exited while waiting on the queue`));
        return false;
      });
    });
    this.putters = this.putters.filter((putter) => {
      if (putter.key !== key) return true;
      if (putter.timer) clearTimeout(putter.timer);
      putter.reply(false, new NoProcError(`the producer ${key} exited while waiting to put`));
      return false;
    });
    Atomics.store(this.counts, PUTTERS, this.putters.length);
    this.pipe?.holderGone(key);
    this.channels.forEach((_, c) => this.serve(c));
  }

  /** A host ended: the anonymous code of its thread is gone. */
  hostEnded(site: number): void {
    this.down(`@${site}`);
  }

  // ---- items in, items out ------------------------------------------------------------------------

  /**
   * Items the producer already counted in SIZE; a JoinableQueue counts them unfinished here. A
   * getter waiting gets them as one batch.
   */
  put(c: number, items: readonly unknown[]): void {
    if (this.kind !== 'pipe' && (Atomics.load(this.counts, FLAGS) & IMMEDIATE) !== 0) return void Atomics.sub(this.counts, SIZE, items.length);
    if (this.kind === 'joinable') Atomics.add(this.counts, UNFINISHED, items.length);
    this.channels[c]!.items.pushAll(items);
    this.serve(c);
  }

  /** Up to `max` items of channel `c` for `key`, as one claimable batch. */
  deliver(c: number, key: string, max: number): Delivery {
    const items = this.channels[c]!.items;
    return this.batches.deliver(c, key, items.take(Math.min(items.length, max)));
  }

  /** A getter found channel `c` empty: items someone holds but has not taken come back first. */
  reclaim(c: number): boolean {
    const back = this.batches.reclaim(c);
    if (back.length === 0) return false;
    this.channels[c]!.items.unshiftAll(back);
    return true;
  }

  /** A handle closed: what it had not taken goes back. */
  returned(batch: number): void {
    const back = this.batches.returned(batch);
    if (!back || back.items.length === 0) return;
    this.channels[back.channel]!.items.unshiftAll(back.items);
    this.serve(back.channel);
  }

  /** Answers waiters of channel `c` while there are items (or EOF / shutdown to report). */
  serve(c: number): void {
    const channel = this.channels[c]!;
    let handed = false;
    while (channel.waiters.length > 0) {
      const ready = channel.items.length > 0;
      if (!ready && !this.finished(c)) break;
      const waiter = channel.waiters.shift()!;
      if (waiter.timer) clearTimeout(waiter.timer);
      if (waiter.poll) waiter.reply(true, true);
      else if (!ready) waiter.reply(false, this.endError(c));
      else if (waiter.here) {
        waiter.reply(true, this.handOver(c));
        handed = true;
      } else waiter.reply(true, this.deliver(c, waiter.key, this.share(channel)));
    }
    // a slot freed here admits parked putters (a consumer elsewhere says so with `taken`)
    if (handed && this.putters.length > 0) this.admitPutters();
  }

  /** The head item of channel `c`, taken for a getter in main's own code (no batch: it is taken now). */
  private handOver(c: number): unknown {
    Atomics.sub(this.counts, SIZE + c, 1);
    return this.channels[c]!.items.shift();
  }

  /** Fair share for the next waiting getter: the rest divided among the getters still waiting. */
  private share(channel: Channel): number {
    const getters = channel.waiters.reduce((n, waiter) => (waiter.poll ? n : n + 1), 1);
    return Math.min(MAX_BATCH, Math.max(1, Math.ceil(channel.items.length / getters)));
  }

  /** Nothing more will come: the queue shut down, or every copy of the writing end is closed. */
  finished(c: number): boolean {
    return this.pipe ? this.pipe.finished(1 - c) : this.shutDown;
  }

  endError(c: number): Error {
    if (!this.pipe) return new ShutDown('the queue was shut down and is empty');
    return new EOFError('every copy of the other end of the pipe was closed (or its holder exited), and everything sent has been received');
  }

  wait(c: number, waiter: Waiter, timeout: number | null, onTimeout: () => void): void {
    const channel = this.channels[c]!;
    if (timeout !== null) {
      waiter.timer = setTimeout(() => {
        const index = channel.waiters.indexOf(waiter);
        if (index >= 0) channel.waiters.splice(index, 1);
        onTimeout();
      }, timeout);
    }
    channel.waiters.push(waiter);
  }

  /**
   * Parks a getter of channel `c`, or answers it at once (an item, EOF/shutdown, or Empty). A
   * getter `here` (main's own code, which never dies alone) is answered with the item itself.
   */
  get(c: number, key: string, block: boolean, timeout: number | null, reply: Reply, here = false): void {
    const channel = this.channels[c]!;
    let max = MAX_BATCH;
    if (channel.items.length === 0 && this.reclaim(c)) max = Math.ceil(channel.items.length / 2);
    if (channel.items.length > 0) {
      if (!here) return reply(true, this.deliver(c, key, max));
      reply(true, this.handOver(c));
      if (this.putters.length > 0) this.admitPutters();
    } else if (this.finished(c)) reply(false, this.endError(c));
    else if (!block) reply(false, new Empty('the queue is empty'));
    else this.wait(c, { reply, key, poll: false, here }, timeout, () => reply(false, new Empty(`the queue stayed empty for ${timeout} ms`)));
  }

  /** Answers true once channel `c` has an item or is finished; false after `timeout`. */
  poll(c: number, key: string, timeout: number | null, tag: string, reply: Reply): void {
    const channel = this.channels[c]!;
    if (channel.items.length === 0) this.reclaim(c);
    if (channel.items.length > 0 || this.finished(c)) reply(true, true);
    else if (timeout === 0) reply(true, false);
    else this.wait(c, { reply, key, poll: true, tag }, timeout, () => reply(true, false));
  }

  drop(n: number): void {
    Atomics.sub(this.counts, SIZE, n);
    if (this.kind !== 'joinable') return;
    for (let i = 0; i < n; i++) {
      const unfinished = Atomics.load(this.counts, UNFINISHED);
      if (unfinished > 0) Atomics.sub(this.counts, UNFINISHED, 1);
    }
    if (Atomics.load(this.counts, UNFINISHED) === 0) this.releaseJoiners();
  }

  releaseJoiners(): void {
    const joiners = this.joiners;
    this.joiners = [];
    for (const reply of joiners) reply(true, undefined);
  }

  // ---- bounded queues -------------------------------------------------------------------------

  private reserve(): boolean {
    for (;;) {
      const size = Atomics.load(this.counts, SIZE);
      if (size >= this.maxsize) return false;
      if (Atomics.compareExchange(this.counts, SIZE, size, size + 1) === size) return true;
    }
  }

  private accept(item: unknown): void {
    if (this.kind === 'joinable') Atomics.add(this.counts, UNFINISHED, 1);
    this.channels[0]!.items.push(item);
    this.serve(0);
  }

  /** A put that waits while the queue is full (rejects Full after `timeout`, ShutDown after shutdown). */
  putWait(item: unknown, key: string, timeout: number | null, reply: Reply): void {
    if (this.shutDown) return reply(false, new ShutDown('the queue was shut down; put() is no longer possible'));
    if (this.putters.length === 0 && this.reserve()) {
      this.accept(item);
      return reply(true, undefined);
    }
    const putter: Putter = { reply, key, item };
    if (timeout !== null) {
      putter.timer = setTimeout(() => {
        const index = this.putters.indexOf(putter);
        if (index >= 0) this.putters.splice(index, 1);
        Atomics.store(this.counts, PUTTERS, this.putters.length);
        reply(false, new Full(`the queue stayed full (maxsize ${this.maxsize}) for ${timeout} ms`));
      }, timeout);
    }
    this.putters.push(putter);
    Atomics.store(this.counts, PUTTERS, this.putters.length);
    this.admitPutters();
  }

  admitPutters(): void {
    while (this.putters.length > 0 && !this.shutDown && this.reserve()) {
      const putter = this.putters.shift()!;
      if (putter.timer) clearTimeout(putter.timer);
      this.accept(putter.item);
      putter.reply(true, undefined);
    }
    Atomics.store(this.counts, PUTTERS, this.putters.length);
  }

  shutdown(immediate: boolean): void {
    Atomics.or(this.counts, FLAGS, immediate ? SHUT_DOWN | IMMEDIATE : SHUT_DOWN);
    for (const putter of this.putters) {
      if (putter.timer) clearTimeout(putter.timer);
      putter.reply(false, new ShutDown('the queue was shut down; put() is no longer possible'));
    }
    this.putters = [];
    Atomics.store(this.counts, PUTTERS, 0);
    if (immediate) {
      this.drop(this.channels[0]!.items.clear().length + this.batches.dropAll());
      this.releaseJoiners();
    }
    this.serve(0);
  }

  // ---- pipes and waits ----------------------------------------------------------------------------

  /** A copy of a pipe end closed: if it was the last, the reader of the other channel hears EOF. */
  closeCopy(copy: string): void {
    const end = this.pipe?.close(copy);
    if (end !== undefined) this.serve(1 - end);
  }

  cancel(tag: string): void {
    for (const channel of this.channels) {
      const index = channel.waiters.findIndex((waiter) => waiter.tag === tag);
      if (index < 0) continue;
      const [waiter] = channel.waiters.splice(index, 1);
      if (waiter!.timer) clearTimeout(waiter!.timer);
      waiter!.reply(true, false);
    }
  }

  /** The server is stopping: no wait may hang. */
  stop(): void {
    this.stopped = true;
    // made only when someone waits: an error's stack costs more than the rest of a stop
    let error: NoProcError | undefined;
    const gone = (): NoProcError => (error ??= new NoProcError('the queue server stopped (its system shut down, or the queue was released)'));
    for (const channel of this.channels) {
      for (const waiter of channel.waiters) {
        if (waiter.timer) clearTimeout(waiter.timer);
        waiter.reply(false, gone());
      }
      channel.waiters = [];
    }
    for (const putter of this.putters) {
      if (putter.timer) clearTimeout(putter.timer);
      putter.reply(false, gone());
    }
    this.putters = [];
    for (const reply of this.joiners) reply(false, gone());
    this.joiners = [];
  }
}
