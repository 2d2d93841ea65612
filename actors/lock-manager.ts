/**
 * The lock manager: one actor in main per system, the slow path of every synchronisation
 * primitive (DESIGN §4.4). Fast paths live in shared memory (src/multiprocessing/sync-state.ts
 * states the lock word protocol); here live the waiter queues (FIFO), the timeouts, condition
 * variables, barriers, and robustness: every caller that uses a primitive gets a token and is
 * monitored, and when it dies its locks pass to the next waiter flagged `abandoned` (WARNING log),
 * its semaphore permits return, its waits are dropped, and a barrier it waited on breaks.
 */
import { defineActor } from '../src/define.js';
import { AbandonedLockError, BrokenBarrierError, NoProcError, RuntimeError } from '../src/errors.js';
import {
  BARRIER,
  C,
  COND,
  EVENT,
  H,
  LOCK,
  MAIN_NAME,
  MAIN_TOKEN,
  POISON,
  SEM,
  SHIFT,
  nameBytes,
  ownerOf,
  writeName,
  type AcquireReply,
  type BarrierReply,
  type CondReply,
  type LockDesc,
  type ManagerMessage,
  type TokenReply,
  type Wait,
} from '../src/multiprocessing/sync-state.js';
import type { ActorContext, ActorRef, DownMessage } from '../src/types.js';

type Reply = (ok: boolean, value: unknown) => void;

interface LockWaiter {
  tok: number;
  timer: NodeJS.Timeout | undefined;
  granted(abandoned: boolean): void;
  failed(error: Error): void;
}

interface LockEntry {
  id: string;
  words: Int32Array;
  bytes: Uint8Array;
  recursive: boolean;
  throwOnAbandoned: boolean;
  queue: LockWaiter[];
}

interface Waiter {
  tok: number;
  reply: Reply;
  timer: NodeJS.Timeout | undefined;
}

interface SemEntry {
  id: string;
  words: Int32Array;
  initial: number;
  queue: Waiter[];
  /** permits taken and not yet given back, per token */
  holdings: Map<number, number>;
}

interface EventEntry {
  id: string;
  words: Int32Array;
  waiters: Waiter[];
}

interface CondWaiter extends Waiter {
  lock: LockEntry;
}

interface CondEntry {
  id: string;
  words: Int32Array;
  waiters: CondWaiter[];
}

interface Party extends Waiter {
  index: number;
}

interface BarrierEntry {
  id: string;
  words: Int32Array;
  parties: number;
  waiters: Party[];
  /** the last party, running the action; the others are released when it reports back */
  releasing: Party | undefined;
  /** arrivals for the next round while the action runs */
  early: Array<{ message: Extract<ManagerMessage, { type: 'barrier.wait' }>; reply: Reply }>;
}

/** What the manager reads from the main-thread System besides the public API. */
interface KernelView {
  ref(id: string): ActorRef;
  labelOf?(id: string): string | undefined;
  on(event: 'hostEnded', listener: (host: { site: number }) => void): unknown;
  off(event: 'hostEnded', listener: (host: { site: number }) => void): unknown;
}

const TOKENS = Symbol.for('troupe.sync.nextToken');
const RECENT_DEAD = 10_000;

/** Tokens are unique in the process (across systems), so a stale token is never someone else's. */
function nextToken(): number {
  const slots = globalThis as unknown as Record<symbol, number | undefined>;
  const token = slots[TOKENS] ?? MAIN_TOKEN + 1;
  slots[TOKENS] = token + 1;
  return token;
}

function cas(words: Int32Array, index: number, expected: number, next: number): boolean {
  return Atomics.compareExchange(words, index, expected, next) === expected;
}

export class LockManagerState {
  private readonly ctx: ActorContext;
  private readonly kernel: KernelView;
  /** live tokens: token → holder */
  private readonly live = new Map<number, { id: string; name: string; bytes: Uint8Array }>();
  private readonly byId = new Map<string, number>();
  private readonly deadNames = new Map<number, string>();
  private readonly locks = new Map<string, LockEntry>();
  private readonly sems = new Map<string, SemEntry>();
  private readonly events = new Map<string, EventEntry>();
  private readonly conds = new Map<string, CondEntry>();
  private readonly barriers = new Map<string, BarrierEntry>();
  private readonly onHostEnded = (host: { site: number }): void => this.ctx.self.send({ type: 'hostDown', site: host.site });

  constructor(ctx: ActorContext) {
    this.ctx = ctx;
    this.kernel = ctx.system as unknown as KernelView;
    this.kernel.on('hostEnded', this.onHostEnded);
    this.live.set(MAIN_TOKEN, { id: 'main', name: MAIN_NAME, bytes: nameBytes(MAIN_NAME) });
  }

  // ---- tokens and deaths ----------------------------------------------------------------------

  token(id: string): TokenReply {
    const known = this.byId.get(id);
    if (known !== undefined) return { token: known, name: this.live.get(known)!.name };
    const token = nextToken();
    const name = id.startsWith('host:') ? `host-${id.slice(5)}` : (this.kernel.labelOf?.(id) ?? id);
    this.live.set(token, { id, name, bytes: nameBytes(name) });
    this.byId.set(id, token);
    if (!id.startsWith('host:')) this.ctx.monitor(this.kernel.ref(id));
    return { token, name };
  }

  private isLive(token: number): boolean {
    return this.live.has(token);
  }

  /** A request still in flight when its caller died is refused (it must not queue or hold). */
  private refuseDead(token: number, reply: Reply): boolean {
    if (this.isLive(token)) return false;
    reply(false, new NoProcError(`${this.nameOf(token)} exited before its request reached the lock manager`));
    return true;
  }

  private nameOf(token: number): string {
    return this.live.get(token)?.name ?? this.deadNames.get(token) ?? `holder-${token}`;
  }

  down(message: DownMessage): void {
    const token = this.byId.get(message.ref.id);
    if (token !== undefined) this.died(token);
  }

  hostDown(site: number): void {
    const token = this.byId.get(`host:${site}`);
    if (token !== undefined) this.died(token);
  }

  /** A caller died: its locks pass on, its permits return, its waits end, its barriers break. */
  private died(token: number): void {
    const holder = this.live.get(token);
    if (holder === undefined) return;
    this.live.delete(token);
    this.byId.delete(holder.id);
    this.deadNames.set(token, holder.name);
    if (this.deadNames.size > RECENT_DEAD) this.deadNames.delete(this.deadNames.keys().next().value!);
    const gone = (): Error => new NoProcError(`${holder.name} exited while waiting`);
    for (const lock of [...this.locks.values()]) {
      for (const waiter of lock.queue.filter((w) => w.tok === token)) {
        this.dropLockWaiter(lock, waiter);
        waiter.failed(gone());
      }
      this.settleLock(lock);
    }
    for (const sem of [...this.sems.values()]) this.semHolderDied(sem, token, holder.name, gone);
    for (const event of [...this.events.values()]) {
      for (const waiter of event.waiters.filter((w) => w.tok === token)) this.endEventWait(event, waiter, false, gone());
    }
    for (const cond of [...this.conds.values()]) {
      for (const waiter of cond.waiters.filter((w) => w.tok === token)) {
        this.removeCondWaiter(cond, waiter);
        waiter.reply(false, gone());
      }
    }
    for (const barrier of [...this.barriers.values()]) {
      if (barrier.releasing?.tok === token || barrier.waiters.some((w) => w.tok === token)) {
        this.breakBarrier(barrier, `party ${holder.name} died while waiting at the barrier`);
      }
    }
  }

  // ---- locks ----------------------------------------------------------------------------------------

  private lockEntry(desc: LockDesc): LockEntry {
    let entry = this.locks.get(desc.id);
    if (entry === undefined) {
      entry = {
        id: desc.id,
        words: new Int32Array(desc.sab),
        bytes: new Uint8Array(desc.sab),
        recursive: desc.recursive,
        throwOnAbandoned: desc.throwOnAbandoned,
        queue: [],
      };
      this.locks.set(desc.id, entry);
    }
    return entry;
  }

  lockAcquire(message: Extract<ManagerMessage, { type: 'lock.acquire' }>, reply: Reply): void {
    const lock = this.lockEntry(message.lock);
    let done = false;
    const waiter: LockWaiter = {
      tok: message.tok,
      timer: undefined,
      granted: (abandoned) => {
        done = true;
        reply(true, { ok: true, abandoned } satisfies AcquireReply);
      },
      failed: (error) => {
        done = true;
        reply(false, error);
      },
    };
    // a contender that was parked in shared memory came first; its park slot reserved the head
    if (message.early) cas(lock.words, LOCK.PARK, message.tok, 0);
    if (this.refuseDead(message.tok, reply)) return this.settleLock(lock);
    if (message.early) {
      lock.queue.unshift(waiter);
    } else {
      lock.queue.push(waiter);
    }
    this.settleLock(lock);
    if (done) return;
    if (message.nowait || message.timeout === 0) {
      this.dropLockWaiter(lock, waiter);
      reply(true, { ok: false, abandoned: false } satisfies AcquireReply);
      this.settleLock(lock);
    } else if (message.timeout !== null) {
      waiter.timer = setTimeout(() => {
        this.dropLockWaiter(lock, waiter);
        reply(true, { ok: false, abandoned: false } satisfies AcquireReply);
        this.settleLock(lock);
      }, message.timeout);
    }
  }

  lockRelease(id: string): void {
    const lock = this.locks.get(id);
    if (lock !== undefined) this.settleLock(lock);
  }

  private dropLockWaiter(lock: LockEntry, waiter: LockWaiter): void {
    const index = lock.queue.indexOf(waiter);
    if (index >= 0) lock.queue.splice(index, 1);
    if (waiter.timer) clearTimeout(waiter.timer);
  }

  /**
   * Brings a lock to rest, whatever happened (request, release, timeout, death): a free, handed
   * back or dead holder's lock goes to the head waiter; C is set exactly while waiters are queued.
   */
  private settleLock(lock: LockEntry): void {
    const words = lock.words;
    for (;;) {
      const state = Atomics.load(words, LOCK.STATE);
      const owner = ownerOf(state);
      if (lock.queue.length === 0) {
        if ((state & H) !== 0) {
          if (!cas(words, LOCK.STATE, state, 0)) continue;
          Atomics.store(words, LOCK.COUNT, 0);
          this.wakeParker(lock);
        } else if (owner > POISON && !this.isLive(owner)) {
          if (!cas(words, LOCK.STATE, state, POISON << SHIFT)) continue;
          Atomics.store(words, LOCK.COUNT, 0);
          this.warnAbandoned(lock, owner, false);
          this.wakeParker(lock);
        } else if ((state & C) !== 0 && !cas(words, LOCK.STATE, state, state & ~C)) {
          continue;
        }
        this.locks.delete(lock.id);
        return;
      }
      if (this.reserved(lock)) {
        // a parked contender came first: it is told (C) and queues at the head; nobody overtakes it
        if ((state & C) === 0 && !cas(words, LOCK.STATE, state, state | C)) continue;
        this.wakeParker(lock);
        return;
      }
      if (owner === 0 || (state & H) !== 0) {
        this.grant(lock, state, false);
      } else if (owner === POISON) {
        this.abandonTo(lock, state);
      } else if (!this.isLive(owner)) {
        this.warnAbandoned(lock, owner, true);
        this.abandonTo(lock, state);
      } else if ((state & C) === 0) {
        if (!cas(words, LOCK.STATE, state, state | C)) continue;
        this.wakeParker(lock);
        return;
      } else {
        return;
      }
    }
  }

  /** A live contender holds the park slot: the lock is promised to it before the queue. */
  private reserved(lock: LockEntry): boolean {
    const parker = Atomics.load(lock.words, LOCK.PARK);
    if (parker === 0) return false;
    if (this.isLive(parker)) return true;
    cas(lock.words, LOCK.PARK, parker, 0);
    return false;
  }

  /** A contender parked in shared memory must see that waiters queued (or the holder died). */
  private wakeParker(lock: LockEntry): void {
    if (Atomics.load(lock.words, LOCK.PARK) !== 0) Atomics.notify(lock.words, LOCK.STATE);
  }

  /** Gives the lock to the head waiter, if the state is still `state` (else settle looks again). */
  private grant(lock: LockEntry, state: number, abandoned: boolean): void {
    const head = lock.queue[0]!;
    const next = (head.tok << SHIFT) | (lock.queue.length > 1 ? C : 0);
    if (!cas(lock.words, LOCK.STATE, state, next)) return;
    lock.queue.shift();
    if (head.timer) clearTimeout(head.timer);
    Atomics.store(lock.words, LOCK.COUNT, 1);
    Atomics.store(lock.words, LOCK.ABANDONED, abandoned ? 1 : 0);
    const holder = this.live.get(head.tok);
    if (holder) writeName(lock.words, lock.bytes, head.tok, holder.bytes);
    head.granted(abandoned);
  }

  /** The previous holder died: the head waiter gets the lock flagged, or AbandonedLockError. */
  private abandonTo(lock: LockEntry, state: number): void {
    if (!lock.throwOnAbandoned) return this.grant(lock, state, true);
    // free but contended: nobody overtakes the remaining waiters while the head is told
    if (!cas(lock.words, LOCK.STATE, state, C)) return;
    Atomics.store(lock.words, LOCK.COUNT, 0);
    const head = lock.queue.shift()!;
    if (head.timer) clearTimeout(head.timer);
    head.failed(
      new AbandonedLockError(
        'the previous holder of this lock died while holding it, so the state it protects may be inconsistent; ' +
          'the lock is free again: check or repair that state, then acquire() again',
      ),
    );
  }

  private warnAbandoned(lock: LockEntry, owner: number, waiters: boolean): void {
    const name = this.nameOf(owner);
    this.ctx.log.warn(
      { lock: lock.id, holder: name, token: owner },
      `lock holder ${name} died while holding the lock; the lock was released and ` +
        (waiters ? 'passed to the next waiter' : 'the next acquire() will see lock.abandoned') +
        (lock.throwOnAbandoned ? ' (onAbandoned: throw)' : ''),
    );
  }

  // ---- semaphores -------------------------------------------------------------------------------------

  private semEntry(id: string, sab: SharedArrayBuffer, initial: number): SemEntry {
    let entry = this.sems.get(id);
    if (entry === undefined) {
      entry = { id, words: new Int32Array(sab), initial, queue: [], holdings: new Map() };
      this.sems.set(id, entry);
    }
    return entry;
  }

  semAcquire(message: Extract<ManagerMessage, { type: 'sem.acquire' }>, reply: Reply): void {
    if (this.refuseDead(message.tok, reply)) return;
    const sem = this.semEntry(message.id, message.sab, message.initial);
    const waiter: Waiter = { tok: message.tok, reply, timer: undefined };
    sem.queue.push(waiter);
    this.settleSem(sem);
    if (!sem.queue.includes(waiter)) return;
    if (message.nowait || message.timeout === 0) {
      this.endSemWait(sem, waiter);
    } else if (message.timeout !== null) {
      waiter.timer = setTimeout(() => this.endSemWait(sem, waiter), message.timeout);
    }
  }

  private endSemWait(sem: SemEntry, waiter: Waiter): void {
    const index = sem.queue.indexOf(waiter);
    if (index >= 0) sem.queue.splice(index, 1);
    if (waiter.timer) clearTimeout(waiter.timer);
    waiter.reply(true, false);
    this.settleSem(sem);
  }

  semRelease(message: Extract<ManagerMessage, { type: 'sem.release' }>): void {
    const sem = this.semEntry(message.id, message.sab, message.initial);
    const held = sem.holdings.get(message.tok) ?? 0;
    if (held > 1) sem.holdings.set(message.tok, held - 1);
    else sem.holdings.delete(message.tok);
    this.settleSem(sem);
  }

  /** Grants permits to waiters in order while any are free. */
  private settleSem(sem: SemEntry): void {
    const words = sem.words;
    // publish the waiter count before reading the value: a releaser stores value, then reads waiters
    Atomics.store(words, SEM.WAITERS, sem.queue.length);
    while (sem.queue.length > 0) {
      const value = Atomics.load(words, SEM.VALUE);
      if (value <= 0) break;
      if (!cas(words, SEM.VALUE, value, value - 1)) continue;
      const head = sem.queue.shift()!;
      if (head.timer) clearTimeout(head.timer);
      sem.holdings.set(head.tok, (sem.holdings.get(head.tok) ?? 0) + 1);
      head.reply(true, true);
    }
    Atomics.store(words, SEM.WAITERS, sem.queue.length);
    if (sem.queue.length === 0 && sem.holdings.size === 0) this.sems.delete(sem.id);
  }

  /**
   * Returns a dead holder's permits, at most up to the initial value (a semaphore used as a
   * signal counter never gains permits nobody released), and drops its waits.
   */
  private semHolderDied(sem: SemEntry, token: number, name: string, gone: () => Error): void {
    for (const waiter of sem.queue.filter((w) => w.tok === token)) {
      sem.queue.splice(sem.queue.indexOf(waiter), 1);
      if (waiter.timer) clearTimeout(waiter.timer);
      waiter.reply(false, gone());
    }
    const held = sem.holdings.get(token) ?? 0;
    sem.holdings.delete(token);
    for (;;) {
      const value = Atomics.load(sem.words, SEM.VALUE);
      const back = Math.min(held, sem.initial - value);
      if (back <= 0) break;
      if (!cas(sem.words, SEM.VALUE, value, value + back)) continue;
      this.ctx.log.warn({ semaphore: sem.id, holder: name, permits: back }, `${name} died holding ${back} semaphore permit(s); they were returned`);
      break;
    }
    this.settleSem(sem);
  }

  // ---- events ------------------------------------------------------------------------------------------

  eventWait(message: Extract<ManagerMessage, { type: 'event.wait' }>, reply: Reply): void {
    if (this.refuseDead(message.tok, reply)) return;
    let event = this.events.get(message.id);
    if (event === undefined) {
      event = { id: message.id, words: new Int32Array(message.sab), waiters: [] };
      this.events.set(message.id, event);
    }
    const waiter: Waiter = { tok: message.tok, reply, timer: undefined };
    event.waiters.push(waiter);
    // count first, then read the flag: a setter stores the flag, then reads the count
    Atomics.add(event.words, EVENT.WAITERS, 1);
    if (Atomics.load(event.words, EVENT.FLAG) === 1) return this.eventSet(message.id);
    if (message.timeout !== null) {
      const ev = event;
      waiter.timer = setTimeout(() => this.endEventWait(ev, waiter, true, false), message.timeout);
    }
  }

  eventSet(id: string): void {
    const event = this.events.get(id);
    if (event === undefined) return;
    for (const waiter of [...event.waiters]) this.endEventWait(event, waiter, true, true);
  }

  private endEventWait(event: EventEntry, waiter: Waiter, ok: boolean, value: unknown): void {
    const index = event.waiters.indexOf(waiter);
    if (index < 0) return;
    event.waiters.splice(index, 1);
    if (waiter.timer) clearTimeout(waiter.timer);
    Atomics.sub(event.words, EVENT.WAITERS, 1);
    if (event.waiters.length === 0) this.events.delete(event.id);
    waiter.reply(ok, value);
  }

  // ---- conditions ----------------------------------------------------------------------------------------

  /**
   * Registers the waiter and releases its lock in one step, so no notify can fall between the two;
   * a notified (or timed out) waiter queues for the lock and is answered once it holds it again.
   */
  condWait(message: Extract<ManagerMessage, { type: 'cond.wait' }>, reply: Reply): void {
    const lock = this.lockEntry(message.lock);
    if (this.refuseDead(message.tok, reply)) return this.settleLock(lock);
    const state = Atomics.load(lock.words, LOCK.STATE);
    if (ownerOf(state) !== message.tok || (state & H) !== 0) {
      this.settleLock(lock);
      return reply(false, new RuntimeError('cannot wait on an un-acquired lock: acquire() the Condition (or use withLock) before wait()'));
    }
    let cond = this.conds.get(message.id);
    if (cond === undefined) {
      cond = { id: message.id, words: new Int32Array(message.sab), waiters: [] };
      this.conds.set(message.id, cond);
    }
    const waiter: CondWaiter = { tok: message.tok, reply, timer: undefined, lock };
    cond.waiters.push(waiter);
    Atomics.store(cond.words, COND.WAITERS, cond.waiters.length);
    if (message.timeout !== null) {
      const owner = cond;
      waiter.timer = setTimeout(() => {
        this.removeCondWaiter(owner, waiter);
        this.settleLock(this.requeue(waiter, false));
      }, message.timeout);
    }
    this.releaseFor(lock, message.tok);
  }

  condNotify(id: string, n: number): void {
    const cond = this.conds.get(id);
    if (cond === undefined) return;
    const woken = cond.waiters.splice(0, Math.min(n, cond.waiters.length));
    Atomics.store(cond.words, COND.WAITERS, cond.waiters.length);
    if (cond.waiters.length === 0) this.conds.delete(id);
    const locks = new Set<LockEntry>();
    for (const waiter of woken) {
      if (waiter.timer) clearTimeout(waiter.timer);
      locks.add(this.requeue(waiter, true));
    }
    for (const lock of locks) this.settleLock(lock);
  }

  private removeCondWaiter(cond: CondEntry, waiter: CondWaiter): void {
    const index = cond.waiters.indexOf(waiter);
    if (index >= 0) cond.waiters.splice(index, 1);
    if (waiter.timer) clearTimeout(waiter.timer);
    Atomics.store(cond.words, COND.WAITERS, cond.waiters.length);
    if (cond.waiters.length === 0) this.conds.delete(cond.id);
  }

  /** Queues a woken waiter for its lock (the lock's live entry: an idle one may have been dropped). */
  private requeue(waiter: CondWaiter, notified: boolean): LockEntry {
    let lock = this.locks.get(waiter.lock.id);
    if (lock === undefined) {
      lock = waiter.lock;
      this.locks.set(lock.id, lock);
    }
    lock.queue.push({
      tok: waiter.tok,
      timer: undefined,
      granted: (abandoned) => waiter.reply(true, { notified, abandoned } satisfies CondReply),
      failed: (error) => waiter.reply(false, error),
    });
    return lock;
  }

  /** Releases a lock on behalf of its holder (a Condition waiter). */
  private releaseFor(lock: LockEntry, token: number): void {
    for (;;) {
      const state = Atomics.load(lock.words, LOCK.STATE);
      if (ownerOf(state) !== token || (state & H) !== 0) break;
      if (cas(lock.words, LOCK.STATE, state, (state & C) !== 0 ? state | H : 0)) break;
    }
    Atomics.store(lock.words, LOCK.COUNT, 0);
    this.wakeParker(lock);
    this.settleLock(lock);
  }

  // ---- barriers ------------------------------------------------------------------------------------------

  private barrierEntry(id: string, sab: SharedArrayBuffer, parties: number): BarrierEntry {
    let entry = this.barriers.get(id);
    if (entry === undefined) {
      entry = { id, words: new Int32Array(sab), parties, waiters: [], releasing: undefined, early: [] };
      this.barriers.set(id, entry);
    }
    return entry;
  }

  barrierWait(message: Extract<ManagerMessage, { type: 'barrier.wait' }>, reply: Reply): void {
    if (this.refuseDead(message.tok, reply)) return;
    const barrier = this.barrierEntry(message.id, message.sab, message.parties);
    if (Atomics.load(barrier.words, BARRIER.BROKEN) === 1) {
      return reply(false, new BrokenBarrierError('the barrier is broken; reset() it before waiting again'));
    }
    if (barrier.releasing !== undefined) {
      barrier.early.push({ message, reply });
      return;
    }
    const party: Party = { tok: message.tok, reply, timer: undefined, index: barrier.waiters.length };
    barrier.waiters.push(party);
    Atomics.store(barrier.words, BARRIER.COUNT, barrier.waiters.length);
    if (party.index + 1 < barrier.parties) {
      if (message.timeout !== null) {
        party.timer = setTimeout(() => this.breakBarrier(barrier, `a party timed out after ${message.timeout} ms`), message.timeout);
      }
      return;
    }
    if (message.hasAction) {
      barrier.waiters.pop();
      barrier.releasing = party;
      reply(true, { index: party.index, runAction: true } satisfies BarrierReply);
    } else {
      this.releaseBarrier(barrier);
    }
  }

  barrierActionDone(id: string, ok: boolean): void {
    const barrier = this.barriers.get(id);
    if (barrier?.releasing === undefined) return;
    barrier.releasing = undefined;
    if (ok) this.releaseBarrier(barrier);
    else this.breakBarrier(barrier, 'the barrier action threw');
  }

  private releaseBarrier(barrier: BarrierEntry): void {
    const parties = barrier.waiters;
    barrier.waiters = [];
    barrier.releasing = undefined;
    Atomics.store(barrier.words, BARRIER.COUNT, 0);
    for (const party of parties) {
      if (party.timer) clearTimeout(party.timer);
      party.reply(true, { index: party.index, runAction: false } satisfies BarrierReply);
    }
    this.nextRound(barrier);
  }

  /** Breaks the barrier: every waiter (and early arrival) gets BrokenBarrierError until reset(). */
  breakBarrier(barrier: BarrierEntry, why: string): void {
    Atomics.store(barrier.words, BARRIER.BROKEN, 1);
    this.failParties(barrier, `the barrier broke: ${why}; reset() it before waiting again`);
  }

  barrierAbort(message: Extract<ManagerMessage, { type: 'barrier.abort' }>): void {
    this.breakBarrier(this.barrierEntry(message.id, message.sab, message.parties), 'abort() was called');
  }

  barrierReset(message: Extract<ManagerMessage, { type: 'barrier.reset' }>): void {
    const barrier = this.barrierEntry(message.id, message.sab, message.parties);
    this.failParties(barrier, 'the barrier was reset() while this party waited');
    Atomics.store(barrier.words, BARRIER.BROKEN, 0);
  }

  /** Fails every waiting party; the one running the action already has its answer. */
  private failParties(barrier: BarrierEntry, message: string): void {
    const parties = barrier.waiters;
    const early = barrier.early;
    barrier.waiters = [];
    barrier.early = [];
    barrier.releasing = undefined;
    Atomics.store(barrier.words, BARRIER.COUNT, 0);
    for (const party of parties) {
      if (party.timer) clearTimeout(party.timer);
      party.reply(false, new BrokenBarrierError(message));
    }
    for (const { reply } of early) reply(false, new BrokenBarrierError(message));
    this.barriers.delete(barrier.id);
  }

  private nextRound(barrier: BarrierEntry): void {
    const early = barrier.early;
    barrier.early = [];
    for (const { message, reply } of early) this.barrierWait(message, reply);
    if (barrier.waiters.length === 0 && barrier.releasing === undefined) this.barriers.delete(barrier.id);
  }

  // ---- shutdown -----------------------------------------------------------------------------------------

  /** The manager is stopping (system shutdown): no wait may hang, so every waiter is told. */
  stop(): void {
    this.kernel.off('hostEnded', this.onHostEnded);
    const error = (): Error => new RuntimeError('the system shut down while this call was waiting on a lock, semaphore, event, condition or barrier');
    for (const lock of this.locks.values()) {
      for (const waiter of lock.queue) {
        if (waiter.timer) clearTimeout(waiter.timer);
        waiter.failed(error());
      }
      lock.queue = [];
    }
    const waiters: Waiter[] = [];
    for (const sem of this.sems.values()) waiters.push(...sem.queue);
    for (const event of this.events.values()) waiters.push(...event.waiters);
    for (const cond of this.conds.values()) waiters.push(...cond.waiters);
    for (const barrier of this.barriers.values()) {
      waiters.push(...barrier.waiters);
      for (const early of barrier.early) early.reply(false, error());
    }
    for (const waiter of waiters) {
      if (waiter.timer) clearTimeout(waiter.timer);
      waiter.reply(false, error());
    }
    this.locks.clear();
    this.sems.clear();
    this.events.clear();
    this.conds.clear();
    this.barriers.clear();
  }
}

type S = LockManagerState;

/** Answers an ask later (ignored for plain sends, which never wait). */
function replier(ctx: ActorContext): Reply {
  return ctx.deferReply!() ?? (() => {});
}

function waitOf(timeout: Wait): Wait {
  return timeout === null || timeout === undefined ? null : timeout;
}

/**
 * The lock-manager actor. Spawned once per system, in main, under the name
 * `troupe.lock-manager`, by the first primitive that needs it (see synchronize.ts).
 */
export const LockManager = defineActor<S>({
  name: 'LockManager',
  init: (ctx) => new LockManagerState(ctx),
  receive: {
    token: (s, msg: { id: string }, ctx) => {
      ctx.reply(s.token(msg.id));
      return s;
    },
    'lock.acquire': (s, msg, ctx) => {
      s.lockAcquire({ ...msg, timeout: waitOf(msg.timeout) }, replier(ctx));
      return s;
    },
    'lock.release': (s, msg: { id: string }) => {
      s.lockRelease(msg.id);
      return s;
    },
    'sem.acquire': (s, msg, ctx) => {
      s.semAcquire({ ...msg, timeout: waitOf(msg.timeout) }, replier(ctx));
      return s;
    },
    'sem.release': (s, msg) => {
      s.semRelease(msg);
      return s;
    },
    'event.wait': (s, msg, ctx) => {
      s.eventWait({ ...msg, timeout: waitOf(msg.timeout) }, replier(ctx));
      return s;
    },
    'event.set': (s, msg: { id: string }) => {
      s.eventSet(msg.id);
      return s;
    },
    'cond.wait': (s, msg, ctx) => {
      s.condWait({ ...msg, timeout: waitOf(msg.timeout) }, replier(ctx));
      return s;
    },
    'cond.notify': (s, msg: { id: string; n: number }) => {
      s.condNotify(msg.id, msg.n);
      return s;
    },
    'barrier.wait': (s, msg, ctx) => {
      s.barrierWait({ ...msg, timeout: waitOf(msg.timeout) }, replier(ctx));
      return s;
    },
    'barrier.actionDone': (s, msg: { id: string; ok: boolean }) => {
      s.barrierActionDone(msg.id, msg.ok);
      return s;
    },
    'barrier.abort': (s, msg) => {
      s.barrierAbort(msg);
      return s;
    },
    'barrier.reset': (s, msg) => {
      s.barrierReset(msg);
      return s;
    },
    DOWN: (s, msg: DownMessage) => {
      s.down(msg);
      return s;
    },
    hostDown: (s, msg: { site: number }) => {
      s.hostDown(msg.site);
      return s;
    },
  },
  onStop: (s) => s.stop(),
});
