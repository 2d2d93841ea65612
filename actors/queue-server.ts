/**
 * The queue server: one actor in the main thread per Queue, JoinableQueue, SimpleQueue or Pipe. It
 * holds the contents, so they survive any worker's death; it parks blocked getters, putters and
 * joiners (deferReply) and times them out. Items leave in *claimable batches*: a consumer takes
 * item i with a compare-and-swap on a shared claim word, so the server can take back what was not
 * taken yet (its consumer died, or another consumer would starve) — nothing lost, nothing twice.
 */
import { EOFError, Empty, Full, NoProcError, ShutDown } from '../src/errors.js';
import { defineActor } from '../src/define.js';
import type { Host } from '../src/hosts/host-pool.js';
import type { SystemImpl } from '../src/system.js';
import type { ActorContext } from '../src/types.js';

// ---- shared memory layout (the `counts` SharedArrayBuffer every handle carries) ----------------

/** Items not yet taken by a consumer, in flight puts included: word SIZE + channel. */
export const SIZE = 0;
/** Queue: SHUT_DOWN | IMMEDIATE. Pipe: CLOSED(end) | GONE(end). */
export const FLAGS = 2;
/** JoinableQueue: puts not yet matched by taskDone(). */
export const UNFINISHED = 3;
/** Putters parked at the server: consumers notify it (`taken`) when they free a slot. */
export const PUTTERS = 4;
const SLOT_BASE = 8;
const SLOTS = 56;
/** Length of `counts` in 32-bit words: the counters above, then claim slots. */
export const COUNT_WORDS = SLOT_BASE + SLOTS;
const PAGE_WORDS = 1024;

/** FLAGS bits of a queue: shutdown() was called; it was shutdown(true). */
export const SHUT_DOWN = 1;
export const IMMEDIATE = 2;
/** the end closed its handle */
export const CLOSED = (end: number): number => 1 << (2 * end);
/** the process or actor that owns the end exited */
export const GONE = (end: number): number => 1 << (2 * end + 1);

// Claim word: [generation:19][revoked-all:1][revoked:1][taken:10]. `revoked` leaves the first item
// to the consumer (its get() asked for it); `revoked-all` leaves nothing (the consumer is gone).
const TAKEN = 0x3ff;
const REVOKED = 1 << 10;
const REVOKED_ALL = 1 << 11;
const GEN_SHIFT = 12;
const GEN_MASK = 0x7ffff;
/** Most items one delivery may carry. */
export const MAX_BATCH = 512;

/**
 * Consumer side of a claim: the index of the next item this consumer may take from its batch, or
 * -1 if the batch is used up or the server took the rest back.
 */
export function claim(words: Int32Array, slot: number, gen: number, n: number): number {
  for (;;) {
    const w = Atomics.load(words, slot);
    const t = claimable(w, gen, n);
    if (t < 0 || Atomics.compareExchange(words, slot, w, w + 1) === w) return t;
  }
}

/** The index `claim` would take now, without taking it (-1: nothing left). */
export function peekClaim(words: Int32Array, slot: number, gen: number, n: number): number {
  return claimable(Atomics.load(words, slot), gen, n);
}

function claimable(w: number, gen: number, n: number): number {
  if (w >>> GEN_SHIFT !== gen || (w & REVOKED_ALL) !== 0) return -1;
  const t = w & TAKEN;
  return t >= n || ((w & REVOKED) !== 0 && t >= 1) ? -1 : t;
}

// ---- protocol --------------------------------------------------------------------------------------

/** What a server serves: its handles' class (a pipe has two channels, one per end). */
export type QueueKind = 'queue' | 'joinable' | 'simple' | 'pipe';

/** The server's spawn argument, made by the handle that creates it. */
export interface ServerConfig {
  kind: QueueKind;
  maxsize: number;
  counts: SharedArrayBuffer;
  /** pipes: who holds both ends at creation (an actor/Process id, or '@site') */
  owner?: { key: string; site: number };
}

/** Every message a handle sends; `s` is the sender's site (thread), `c` a channel, `e` a pipe end. */
export type ToServer =
  | { type: 'putMany'; v: unknown[] }
  | { type: 'putWait'; v: unknown; timeout: number | null; s: number }
  | { type: 'get'; c: number; block: boolean; timeout: number | null; s: number; e?: number }
  | { type: 'poll'; c: number; timeout: number | null; s: number; tag: string; e?: number }
  | { type: 'cancel'; tag: string }
  | { type: 'taken' }
  | { type: 'ret'; b: number }
  | { type: 'done' }
  | { type: 'join' }
  | { type: 'shutdown'; immediate: boolean }
  | { type: 'stats' }
  | { type: 'sendMany'; e: number; v: unknown[]; s: number }
  | { type: 'claim'; e: number; s: number }
  | { type: 'close'; e: number; s: number };

/** A get's answer: batch id, items, claim slot and generation, and the slot's page if not in `counts`. */
export interface Delivery {
  b: number;
  v: unknown[];
  w: number;
  g: number;
  p?: SharedArrayBuffer;
}

/** The `stats` answer (tests and debugging). */
export interface QueueStats {
  items: number[];
  outstanding: number;
  waiters: number;
  putters: number;
  consumers: string[];
}

// ---- server state -------------------------------------------------------------------------------------

type Reply = (ok: boolean, value: unknown) => void;

interface Waiter {
  reply: Reply;
  key: string;
  poll: boolean;
  tag?: string;
  timer?: NodeJS.Timeout;
}

interface Putter {
  reply: Reply;
  key: string;
  item: unknown;
  timer?: NodeJS.Timeout;
}

interface Batch {
  key: string;
  c: number;
  items: unknown[];
  /** items [0, limit) belong to the consumer; the rest went back */
  limit: number;
  words: Int32Array;
  slot: number;
  page: number;
}

interface End {
  key: string | null;
  site: number;
  closed: boolean;
  gone: boolean;
}

/** FIFO with cheap shift and put-back-at-head. */
class Deque {
  private a: unknown[] = [];
  private h = 0;
  get length(): number {
    return this.a.length - this.h;
  }
  push(x: unknown): void {
    this.a.push(x);
  }
  take(n: number): unknown[] {
    const out = this.a.slice(this.h, this.h + n);
    this.h += n;
    if (this.h === this.a.length) {
      this.a = [];
      this.h = 0;
    } else if (this.h > 1024 && this.h * 2 > this.a.length) {
      this.a = this.a.slice(this.h);
      this.h = 0;
    }
    return out;
  }
  unshiftAll(items: readonly unknown[]): void {
    if (items.length <= this.h) {
      this.h -= items.length;
      for (let i = 0; i < items.length; i++) this.a[this.h + i] = items[i];
    } else {
      this.a = [...items, ...this.a.slice(this.h)];
      this.h = 0;
    }
  }
  clear(): unknown[] {
    return this.take(this.length);
  }
}

class Channel {
  readonly items = new Deque();
  waiters: Waiter[] = [];
}

const isAnonymous = (key: string): boolean => key.charCodeAt(0) === 64; /* '@' */

class QueueState {
  readonly kind: QueueKind;
  readonly maxsize: number;
  readonly counts: Int32Array;
  readonly channels: Channel[];
  readonly ends: End[] = [];
  /** consumer/owner key → its site; ids are monitored, sites watched through 'hostEnded' */
  readonly consumers = new Map<string, number>();
  readonly outstanding = new Map<number, Batch>();
  private readonly free: Array<{ words: Int32Array; slot: number; page: number }> = [];
  readonly pages: Int32Array[] = [];
  putters: Putter[] = [];
  joiners: Reply[] = [];
  nextBatch = 1;

  constructor(config: ServerConfig) {
    this.kind = config.kind;
    this.maxsize = config.kind === 'queue' || config.kind === 'joinable' ? Math.max(0, config.maxsize) : 0;
    this.counts = new Int32Array(config.counts);
    this.channels = config.kind === 'pipe' ? [new Channel(), new Channel()] : [new Channel()];
    for (let i = SLOTS - 1; i >= 0; i--) this.free.push({ words: this.counts, slot: SLOT_BASE + i, page: -1 });
    if (config.kind === 'pipe') {
      const owner = config.owner ?? { key: '@0', site: 0 };
      for (let e = 0; e < 2; e++) this.ends.push({ key: owner.key, site: owner.site, closed: false, gone: false });
    }
  }

  get shutDown(): boolean {
    return this.kind !== 'pipe' && (Atomics.load(this.counts, FLAGS) & SHUT_DOWN) !== 0;
  }

  // ---- consumers --------------------------------------------------------------------------------

  keyOf(ctx: ActorContext, site: number): string {
    const sender = ctx.sender;
    return sender ? sender.id : `@${site}`;
  }

  track(ctx: ActorContext, key: string, site: number): void {
    if (this.consumers.has(key) || key === '@0') return;
    this.consumers.set(key, site);
    if (!isAnonymous(key)) ctx.monitor((ctx.system as SystemImpl).ref(key));
  }

  /** A consumer or owner exited: what it had not taken goes back to the head, in order. */
  down(key: string): void {
    if (!this.consumers.delete(key)) return;
    const back: unknown[][] = this.channels.map(() => []);
    for (const [id, batch] of this.outstanding) {
      if (batch.key !== key) continue;
      back[batch.c]!.push(...this.revoke(batch, true));
      this.release(id, batch);
    }
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
    this.ends.forEach((end, e) => {
      if (end.key !== key) return;
      end.gone = true;
      Atomics.or(this.counts, FLAGS, GONE(e));
    });
    this.channels.forEach((_, c) => this.serve(c));
  }

  hostEnded(site: number): void {
    for (const [key, s] of [...this.consumers]) if (s === site) this.down(key);
  }

  // ---- batches and claims -------------------------------------------------------------------------

  private slot(): { words: Int32Array; slot: number; page: number } {
    if (this.free.length === 0) {
      for (const [id, batch] of this.outstanding) if (this.taken(batch) >= batch.limit) this.release(id, batch);
    }
    if (this.free.length === 0) {
      const words = new Int32Array(new SharedArrayBuffer(PAGE_WORDS * 4));
      const page = this.pages.push(words) - 1;
      for (let i = PAGE_WORDS - 1; i >= 0; i--) this.free.push({ words, slot: i, page });
    }
    return this.free.pop()!;
  }

  private taken(batch: Batch): number {
    return Atomics.load(batch.words, batch.slot) & TAKEN;
  }

  private release(id: number, batch: Batch): void {
    this.outstanding.delete(id);
    this.free.push({ words: batch.words, slot: batch.slot, page: batch.page });
  }

  /** Hands up to `max` items of channel `c` to `key` as one claimable batch. */
  deliver(c: number, key: string, max: number): Delivery {
    const channel = this.channels[c]!;
    const items = channel.items.take(Math.min(channel.items.length, max));
    const { words, slot, page } = this.slot();
    const gen = ((Atomics.load(words, slot) >>> GEN_SHIFT) + 1) & GEN_MASK;
    Atomics.store(words, slot, gen << GEN_SHIFT);
    const b = this.nextBatch++;
    this.outstanding.set(b, { key, c, items, limit: items.length, words, slot, page });
    const delivery: Delivery = { b, v: items, w: slot, g: gen };
    if (page >= 0) delivery.p = words.buffer as SharedArrayBuffer;
    return delivery;
  }

  /** Takes back what the consumer has not taken; `all` also takes the first item of the batch. */
  revoke(batch: Batch, all: boolean): unknown[] {
    for (;;) {
      const w = Atomics.load(batch.words, batch.slot);
      const t = w & TAKEN;
      const from = all ? t : Math.max(t, 1);
      if (from >= batch.limit) return [];
      if (Atomics.compareExchange(batch.words, batch.slot, w, w | (all ? REVOKED_ALL : REVOKED)) !== w) continue;
      const back = batch.items.slice(from, batch.limit);
      batch.limit = from;
      return back;
    }
  }

  /** A getter found channel `c` empty: take back the rest of the oldest batch someone still holds. */
  reclaim(c: number): boolean {
    for (const [id, batch] of this.outstanding) {
      if (batch.c !== c) continue;
      const back = this.revoke(batch, false);
      if (this.taken(batch) >= batch.limit) this.release(id, batch);
      if (back.length > 0) {
        this.channels[c]!.items.unshiftAll(back);
        return true;
      }
    }
    return false;
  }

  returned(b: number): void {
    const batch = this.outstanding.get(b);
    if (!batch) return;
    const back = this.revoke(batch, true);
    this.release(b, batch);
    if (back.length > 0) {
      this.channels[batch.c]!.items.unshiftAll(back);
      this.serve(batch.c);
    }
  }

  // ---- items in, items out ------------------------------------------------------------------------

  /** An item the producer already counted in SIZE (and UNFINISHED). */
  put(c: number, item: unknown): void {
    if ((Atomics.load(this.counts, FLAGS) & IMMEDIATE) !== 0 && this.kind !== 'pipe') return this.drop(1);
    this.channels[c]!.items.push(item);
    this.serve(c);
  }

  /** Answers waiters of channel `c` while there are items (or EOF / shutdown to report). */
  serve(c: number): void {
    const channel = this.channels[c]!;
    while (channel.waiters.length > 0) {
      const ready = channel.items.length > 0;
      if (!ready && !this.finished(c)) return;
      const waiter = channel.waiters.shift()!;
      if (waiter.timer) clearTimeout(waiter.timer);
      if (waiter.poll) waiter.reply(true, true);
      else if (ready) waiter.reply(true, this.deliver(c, waiter.key, this.share(channel)));
      else waiter.reply(false, this.endError(c));
    }
  }

  /** Fair share for the next waiting getter: the rest divided among the getters still waiting. */
  private share(channel: Channel): number {
    const getters = channel.waiters.reduce((n, waiter) => (waiter.poll ? n : n + 1), 1);
    return Math.min(MAX_BATCH, Math.max(1, Math.ceil(channel.items.length / getters)));
  }

  /** Nothing more will come: the queue shut down, or the other end of the pipe closed or exited. */
  finished(c: number): boolean {
    if (this.kind !== 'pipe') return this.shutDown;
    const peer = this.ends[1 - c]!;
    return peer.closed || peer.gone;
  }

  endError(c: number): Error {
    if (this.kind !== 'pipe') return new ShutDown('the queue was shut down and is empty');
    const peer = this.ends[1 - c]!;
    return new EOFError(peer.closed ? 'the other end of the pipe was closed and everything it sent has been received' : 'the process or actor holding the other end of the pipe exited and everything it sent has been received');
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

  // ---- bounded queues ---------------------------------------------------------------------------

  reserve(): boolean {
    for (;;) {
      const size = Atomics.load(this.counts, SIZE);
      if (size >= this.maxsize) return false;
      if (Atomics.compareExchange(this.counts, SIZE, size, size + 1) === size) return true;
    }
  }

  accept(item: unknown): void {
    if (this.kind === 'joinable') Atomics.add(this.counts, UNFINISHED, 1);
    this.channels[0]!.items.push(item);
    this.serve(0);
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
      let dropped = this.channels[0]!.items.clear().length;
      for (const [id, batch] of this.outstanding) {
        dropped += this.revoke(batch, true).length;
        this.release(id, batch);
      }
      this.drop(dropped);
      this.releaseJoiners();
    }
    this.serve(0);
  }

  // ---- pipes --------------------------------------------------------------------------------------

  /** The end was used or received by `key`: it owns the end now (see DESIGN §4.3). */
  own(ctx: ActorContext, e: number, key: string, site: number): void {
    const end = this.ends[e]!;
    if (end.key === key && !end.gone) return;
    // anonymous code on the thread of the end's identified owner acts for that owner
    if (isAnonymous(key) && end.key !== null && !isAnonymous(end.key) && end.site === site && !end.gone) return;
    end.key = key;
    end.site = site;
    this.track(ctx, key, site);
    if (end.gone) {
      end.gone = false;
      Atomics.and(this.counts, FLAGS, ~GONE(e));
    }
  }

  close(e: number): void {
    this.ends[e]!.closed = true;
    Atomics.or(this.counts, FLAGS, CLOSED(e));
    this.serve(1 - e);
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

  stop(): void {
    const gone = new NoProcError('the queue server stopped (its system shut down)');
    for (const channel of this.channels) {
      for (const waiter of channel.waiters) {
        if (waiter.timer) clearTimeout(waiter.timer);
        waiter.reply(false, gone);
      }
      channel.waiters = [];
    }
    for (const putter of this.putters) {
      if (putter.timer) clearTimeout(putter.timer);
      putter.reply(false, gone);
    }
    this.putters = [];
    for (const reply of this.joiners) reply(false, gone);
    this.joiners = [];
  }
}

// ---- the actor --------------------------------------------------------------------------------------

const live = new WeakMap<SystemImpl, Set<QueueState>>();

/** The live servers of a system; one 'hostEnded' listener serves them all. */
function serversOf(system: SystemImpl): Set<QueueState> {
  let servers = live.get(system);
  if (!servers) {
    const set = new Set<QueueState>();
    servers = set;
    live.set(system, set);
    system.on('hostEnded', (host: Host) => {
      // runs inside the kernel's host-end handling: report, never throw into it
      for (const q of set) {
        try {
          q.hostEnded(host.site);
        } catch (error) {
          system.log.error({ err: error, host: host.site }, 'queue server failed to handle a host end');
        }
      }
    });
  }
  return servers;
}

function defer(ctx: ActorContext): Reply {
  return ctx.deferReply!() ?? (() => {});
}

function receiveGet(q: QueueState, msg: Extract<ToServer, { type: 'get' }>, ctx: ActorContext): QueueState {
  const key = q.keyOf(ctx, msg.s);
  q.track(ctx, key, msg.s);
  if (msg.e !== undefined) q.own(ctx, msg.e, key, msg.s);
  const channel = q.channels[msg.c]!;
  let max = MAX_BATCH;
  if (channel.items.length === 0 && q.reclaim(msg.c)) max = Math.ceil(channel.items.length / 2);
  if (channel.items.length > 0) {
    ctx.reply(q.deliver(msg.c, key, max));
  } else if (q.finished(msg.c)) {
    defer(ctx)(false, q.endError(msg.c));
  } else if (!msg.block) {
    defer(ctx)(false, new Empty('the queue is empty'));
  } else {
    const reply = defer(ctx);
    q.wait(msg.c, { reply, key, poll: false }, msg.timeout, () => reply(false, new Empty(`the queue stayed empty for ${msg.timeout} ms`)));
  }
  return q;
}

function receivePoll(q: QueueState, msg: Extract<ToServer, { type: 'poll' }>, ctx: ActorContext): QueueState {
  const key = q.keyOf(ctx, msg.s);
  q.track(ctx, key, msg.s);
  if (msg.e !== undefined) q.own(ctx, msg.e, key, msg.s);
  const channel = q.channels[msg.c]!;
  if (channel.items.length === 0) q.reclaim(msg.c);
  if (channel.items.length > 0 || q.finished(msg.c)) {
    ctx.reply(true);
  } else if (msg.timeout === 0) {
    ctx.reply(false);
  } else {
    const reply = defer(ctx);
    q.wait(msg.c, { reply, key, poll: true, tag: msg.tag }, msg.timeout, () => reply(true, false));
  }
  return q;
}

function receivePutWait(q: QueueState, msg: Extract<ToServer, { type: 'putWait' }>, ctx: ActorContext): QueueState {
  if (q.shutDown) {
    defer(ctx)(false, new ShutDown('the queue was shut down; put() is no longer possible'));
  } else if (q.putters.length === 0 && q.reserve()) {
    q.accept(msg.v);
    ctx.reply(undefined);
  } else {
    const key = q.keyOf(ctx, msg.s);
    q.track(ctx, key, msg.s);
    const putter: Putter = { reply: defer(ctx), key, item: msg.v };
    if (msg.timeout !== null) {
      putter.timer = setTimeout(() => {
        const index = q.putters.indexOf(putter);
        if (index >= 0) q.putters.splice(index, 1);
        Atomics.store(q.counts, PUTTERS, q.putters.length);
        putter.reply(false, new Full(`the queue stayed full (maxsize ${q.maxsize}) for ${msg.timeout} ms`));
      }, msg.timeout);
    }
    q.putters.push(putter);
    Atomics.store(q.counts, PUTTERS, q.putters.length);
    q.admitPutters();
  }
  return q;
}

/**
 * The server behind every Queue, JoinableQueue, SimpleQueue and Pipe (placement 'main'). Spawned
 * by the handles in src/multiprocessing/; its messages are `ToServer`.
 */
export const QueueServer = defineActor({
  name: 'QueueServer',
  init: (ctx: ActorContext, config: ServerConfig, started?: { id?: string }): QueueState => {
    const q = new QueueState(config);
    if (started) started.id = ctx.self.id;
    const servers = serversOf(ctx.system as SystemImpl);
    servers.add(q);
    if (config.owner && !isAnonymous(config.owner.key)) q.track(ctx, config.owner.key, config.owner.site);
    else if (config.owner) q.consumers.set(config.owner.key, config.owner.site);
    ctx.signal.addEventListener('abort', () => {
      servers.delete(q);
      q.stop();
    });
    return q;
  },
  receive: {
    putMany: (q: QueueState, msg: { v: unknown[] }) => {
      for (const item of msg.v) q.put(0, item);
      return q;
    },
    putWait: receivePutWait,
    get: receiveGet,
    poll: receivePoll,
    cancel: (q: QueueState, msg: { tag: string }) => {
      q.cancel(msg.tag);
      return q;
    },
    taken: (q: QueueState) => {
      q.admitPutters();
      return q;
    },
    ret: (q: QueueState, msg: { b: number }) => {
      q.returned(msg.b);
      return q;
    },
    done: (q: QueueState) => {
      q.releaseJoiners();
      return q;
    },
    join: (q: QueueState, _msg, ctx: ActorContext) => {
      if (Atomics.load(q.counts, UNFINISHED) === 0) ctx.reply(undefined);
      else q.joiners.push(defer(ctx));
      return q;
    },
    shutdown: (q: QueueState, msg: { immediate: boolean }, ctx: ActorContext) => {
      q.shutdown(msg.immediate);
      ctx.reply(undefined);
      return q;
    },
    stats: (q: QueueState, _msg, ctx: ActorContext) => {
      const stats: QueueStats = {
        items: q.channels.map((channel) => channel.items.length),
        outstanding: q.outstanding.size,
        waiters: q.channels.reduce((n, channel) => n + channel.waiters.length, 0),
        putters: q.putters.length,
        consumers: [...q.consumers.keys()],
      };
      ctx.reply(stats);
      return q;
    },
    sendMany: (q: QueueState, msg: { e: number; v: unknown[]; s: number }, ctx: ActorContext) => {
      q.own(ctx, msg.e, q.keyOf(ctx, msg.s), msg.s);
      for (const item of msg.v) q.put(1 - msg.e, item);
      return q;
    },
    claim: (q: QueueState, msg: { e: number; s: number }, ctx: ActorContext) => {
      q.own(ctx, msg.e, q.keyOf(ctx, msg.s), msg.s);
      return q;
    },
    close: (q: QueueState, msg: { e: number }) => {
      q.close(msg.e);
      return q;
    },
    DOWN: (q: QueueState, msg: { ref: { id: string } }) => {
      q.down(msg.ref.id);
      return q;
    },
  },
});
