/**
 * The slow path of Lock and RLock (the fast path is a CAS on the state word, see protocol.ts):
 * FIFO waiter queues, timeouts, the parked contender's reserved turn, and robustness — a dead
 * holder's lock passes to the next waiter flagged `abandoned` (or AbandonedLockError with
 * onAbandoned 'throw'), with a WARNING naming the dead holder. Conditions queue their woken
 * waiters here too (conditions.ts).
 */
import { AbandonedLockError } from '../../src/errors.js';
import type { Holders, Reply } from './holders.js';
import { C, H, LOCK, POISON, SHIFT, ownerOf, writeName, type AcquireReply, type LockAcquire, type LockDesc } from './protocol.js';

export interface LockWaiter {
  token: number;
  timer: NodeJS.Timeout | undefined;
  granted(abandoned: boolean): void;
  failed(error: Error): void;
}

export interface LockEntry {
  id: string;
  words: Int32Array;
  bytes: Uint8Array;
  recursive: boolean;
  throwOnAbandoned: boolean;
  queue: LockWaiter[];
}

/** How a warning reaches the multiprocessing logger. */
export type Warn = (message: string, fields: Record<string, unknown>) => void;

function cas(words: Int32Array, index: number, expected: number, next: number): boolean {
  return Atomics.compareExchange(words, index, expected, next) === expected;
}

/** A lock the manager was told of when it was made: a dead holder's hold is found in its word. */
interface KnownLock {
  sab: SharedArrayBuffer | WeakRef<SharedArrayBuffer>;
  recursive: boolean;
  throwOnAbandoned: boolean;
}

export class Locks {
  private readonly locks = new Map<string, LockEntry>();
  /**
   * Every lock of this manager, so a holder that dies while holding one it took uncontended (a CAS
   * the manager never saw) has it released at once. Locks made in main are held weakly (their
   * buffer lives as long as main's handle); a worker's lock arrives as a copy and is kept.
   */
  private readonly known = new Map<string, KnownLock>();
  private readonly forget = new FinalizationRegistry<string>((id) => this.known.delete(id));

  constructor(
    private readonly holders: Holders,
    private readonly warn: Warn,
  ) {}

  entry(desc: LockDesc): LockEntry {
    let entry = this.locks.get(desc.id);
    if (entry === undefined) {
      entry = { id: desc.id, words: new Int32Array(desc.sab), bytes: new Uint8Array(desc.sab), recursive: desc.recursive, throwOnAbandoned: desc.throwOnAbandoned, queue: [] };
      this.locks.set(desc.id, entry);
    }
    return entry;
  }

  /** The live entry of a lock (an idle one may have been dropped: it is added back). */
  revive(entry: LockEntry): LockEntry {
    const live = this.locks.get(entry.id);
    if (live !== undefined) return live;
    this.locks.set(entry.id, entry);
    return entry;
  }

  acquire(message: LockAcquire, reply: Reply): void {
    const lock = this.entry(message.lock);
    let done = false;
    const waiter: LockWaiter = {
      token: message.token,
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
    if (message.early) cas(lock.words, LOCK.PARK, message.token, 0);
    if (this.holders.refuseDead(message.token, reply)) return this.settle(lock);
    if (message.early) lock.queue.unshift(waiter);
    else lock.queue.push(waiter);
    this.settle(lock);
    if (done) return;
    if (message.nowait || message.timeout === 0) {
      this.drop(lock, waiter);
      reply(true, { ok: false, abandoned: false } satisfies AcquireReply);
      this.settle(lock);
    } else if (message.timeout !== null) {
      waiter.timer = setTimeout(() => {
        this.drop(lock, waiter);
        reply(true, { ok: false, abandoned: false } satisfies AcquireReply);
        this.settle(lock);
      }, message.timeout);
    }
  }

  release(id: string): void {
    const lock = this.locks.get(id);
    if (lock !== undefined) this.settle(lock);
  }

  drop(lock: LockEntry, waiter: LockWaiter): void {
    const index = lock.queue.indexOf(waiter);
    if (index >= 0) lock.queue.splice(index, 1);
    if (waiter.timer) clearTimeout(waiter.timer);
  }

  know(desc: LockDesc, weak: boolean): void {
    if (this.known.has(desc.id)) return;
    this.known.set(desc.id, { sab: weak ? new WeakRef(desc.sab) : desc.sab, recursive: desc.recursive, throwOnAbandoned: desc.throwOnAbandoned });
    if (weak) this.forget.register(desc.sab, desc.id);
  }

  /** A caller died: its waits end, and the locks it held pass on (or are released). */
  died(token: number, gone: () => Error): void {
    for (const [id, known] of this.known) {
      if (this.locks.has(id)) continue;
      const sab = known.sab instanceof SharedArrayBuffer ? known.sab : known.sab.deref();
      if (sab === undefined) continue;
      if (ownerOf(Atomics.load(new Int32Array(sab, 0, 1), LOCK.STATE)) !== token) continue;
      this.entry({ id, sab, recursive: known.recursive, throwOnAbandoned: known.throwOnAbandoned });
    }
    for (const lock of [...this.locks.values()]) {
      for (const waiter of lock.queue.filter((w) => w.token === token)) {
        this.drop(lock, waiter);
        waiter.failed(gone());
      }
      this.settle(lock);
    }
  }

  /**
   * Brings a lock to rest, whatever happened (request, release, timeout, death): a free, handed
   * back or dead holder's lock goes to the head waiter; C is set exactly while waiters are queued.
   */
  settle(lock: LockEntry): void {
    const words = lock.words;
    for (;;) {
      const state = Atomics.load(words, LOCK.STATE);
      const owner = ownerOf(state);
      if (lock.queue.length === 0) {
        if ((state & H) !== 0) {
          if (!cas(words, LOCK.STATE, state, 0)) continue;
          Atomics.store(words, LOCK.COUNT, 0);
          this.wakeParker(lock);
        } else if (owner > POISON && !this.holders.isLive(owner)) {
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
      } else if (!this.holders.isLive(owner)) {
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
    if (this.holders.isLive(parker)) return true;
    cas(lock.words, LOCK.PARK, parker, 0);
    return false;
  }

  /** A contender parked in shared memory must see that waiters queued (or the holder died). */
  wakeParker(lock: LockEntry): void {
    if (Atomics.load(lock.words, LOCK.PARK) === 0) return;
    Atomics.store(lock.words, LOCK.WAKE, 1);
    Atomics.notify(lock.words, LOCK.WAKE);
  }

  /** Gives the lock to the head waiter, if the state is still `state` (else settle looks again). */
  private grant(lock: LockEntry, state: number, abandoned: boolean): void {
    const head = lock.queue[0]!;
    const next = (head.token << SHIFT) | (lock.queue.length > 1 ? C : 0);
    if (!cas(lock.words, LOCK.STATE, state, next)) return;
    lock.queue.shift();
    if (head.timer) clearTimeout(head.timer);
    Atomics.store(lock.words, LOCK.COUNT, 1);
    Atomics.store(lock.words, LOCK.ABANDONED, abandoned ? 1 : 0);
    const bytes = this.holders.bytesOf(head.token);
    if (bytes) writeName(lock.words, lock.bytes, head.token, bytes);
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
    const name = this.holders.nameOf(owner);
    this.warn(
      `lock holder ${name} died while holding the lock; the lock was released and ` +
        (waiters ? 'passed to the next waiter' : 'the next acquire() will see lock.abandoned') +
        (lock.throwOnAbandoned ? ' (onAbandoned: throw)' : ''),
      { lock: lock.id, holder: name, token: owner },
    );
  }

  /** Releases a lock on behalf of its holder (a Condition waiter). */
  releaseFor(lock: LockEntry, token: number): void {
    for (;;) {
      const state = Atomics.load(lock.words, LOCK.STATE);
      if (ownerOf(state) !== token || (state & H) !== 0) break;
      if (cas(lock.words, LOCK.STATE, state, (state & C) !== 0 ? state | H : 0)) break;
    }
    Atomics.store(lock.words, LOCK.COUNT, 0);
    this.wakeParker(lock);
    this.settle(lock);
  }

  /** The manager is stopping: every waiter is told. */
  stop(error: () => Error): void {
    for (const lock of this.locks.values()) {
      for (const waiter of lock.queue) {
        if (waiter.timer) clearTimeout(waiter.timer);
        waiter.failed(error());
      }
      lock.queue = [];
    }
    this.locks.clear();
  }
}
